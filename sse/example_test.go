package sse_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/sse"
)

// Mount the endpoint on a mux beside the STOMP one; a message published to
// the broker (by a STOMP SEND or by the server) reaches the stream.
func Example() {
	b := broker.NewMemory()
	events := sse.New(sse.Config{Broker: b})

	mux := http.NewServeMux()
	mux.Handle("GET /events", events)
	// mux.Handle("/chat-app", server.New(server.Config{Broker: b, ...}))
	ts := httptest.NewServer(mux)
	defer ts.Close()
	defer events.Shutdown(context.Background()) // ends the stream before ts.Close waits for it

	res, err := http.Get(ts.URL + "/events?destination=/topic/news")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	fmt.Println(res.Header.Get("Content-Type"))

	// The response has begun: the stream listens.
	var h frame.Header
	h.Add(frame.HdrContentType, "application/json")
	b.Publish(context.Background(), broker.NewMessage("/topic/news", h, []byte(`{"title":"hello"}`)))

	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "event:") || strings.HasPrefix(line, "data:") {
			fmt.Println(line)
		}
		if strings.HasPrefix(line, "data:") {
			break
		}
	}
	// Output:
	// text/event-stream
	// event: message
	// data: {"destination":"/topic/news","contentType":"application/json","body":"{\"title\":\"hello\"}"}
}
