package chat_test

import (
	"context"
	"log"
	"net/http"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/chat"
	"github.com/stompbox/stompbox/history"
	"github.com/stompbox/stompbox/messaging"
	"github.com/stompbox/stompbox/server"
)

// Wiring the chat into a server: the store, the router, the four hooks and
// the history endpoint. cmd/stompbox does the same with history/sqlite.
func ExampleNew() {
	ctx := context.Background()
	b := broker.NewMemory()
	router := messaging.NewRouter(messaging.Config{Broker: b})
	app, err := chat.New(ctx, chat.Config{Store: history.NewMemory(history.MemoryConfig{}), Router: router})
	if err != nil {
		log.Fatal(err)
	}
	app.Register(router)
	stomp := server.New(server.Config{
		Broker: b, App: router,
		OnConnect: app.Connect, OnSend: app.AuthorizeSend, OnSubscribe: app.AuthorizeSubscribe, OnEvent: app.OnEvent,
	})
	router.Users = stomp // errors reach /user/queue/errors

	mux := http.NewServeMux()
	mux.Handle("/chat-app", stomp)
	mux.Handle("GET /api/rooms/{room}/messages", app.HistoryHandler())
	// Output:
}
