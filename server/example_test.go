package server_test

import (
	"log"
	"net/http"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/chat"
	"github.com/stompbox/stompbox/messaging"
	"github.com/stompbox/stompbox/server"
)

// Embedding stompbox in your own HTTP server: the seed's Spring
// configuration (enableSimpleBroker("/topic"),
// setApplicationDestinationPrefixes("/app"), addEndpoint("/chat-app")) in Go.
func ExampleServer() {
	b := broker.NewMemory()                                                 // enableSimpleBroker
	app := messaging.NewRouter(messaging.Config{Broker: b, Prefix: "/app"}) // setApplicationDestinationPrefixes
	chat.RegisterSeed(app, nil)                                             // the @MessageMapping controllers
	stomp := server.New(server.Config{Broker: b, App: app})

	mux := http.NewServeMux()
	mux.Handle("/chat-app", stomp) // registerStompEndpoints: addEndpoint("/chat-app")
	if false {                     // in a real program: serve until stopped, then stomp.Shutdown(ctx)
		log.Fatal(http.ListenAndServe(":8080", mux))
	}
	// Output:
}
