package refserver_test

import (
	"context"
	"fmt"
	"net"

	"github.com/stompbox/stompbox/bench/refserver"
)

// Example serves the reference server over WebSocket at /chat-app, as
// stompbench's own test does.
func Example() {
	srv := refserver.New(refserver.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.ServeWS(ln)
	fmt.Println("ws://"+ln.Addr().String()+"/chat-app is ready:", srv.Conns() == 0)
	srv.Close(context.Background())
	// Output is not checked: the address differs each run.
}
