package sse

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/stompbox/stompbox/broker"
)

// BenchmarkPublish1000Listeners measures one publish to a destination
// that 1,000 streams listen to: what a STOMP publisher pays, and holds
// its destination's lock for, when browsers watch the topic.
func BenchmarkPublish1000Listeners(b *testing.B) {
	const listeners = 1000
	// Room for every stream to fall behind while the publisher runs.
	e := newEnv(b, Config{BufferSize: 1 << 20, BufferBytes: 1 << 30})
	e.tr.MaxIdleConnsPerHost = listeners
	for range listeners {
		req, _ := http.NewRequest(http.MethodGet, e.url("/topic/a"), nil)
		res, err := e.tr.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		go func() {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}()
	}
	eventually(b, "the streams to listen", func() bool { return e.s.listeners("/topic/a") == listeners })
	m := broker.NewMessage("/topic/a", nil, []byte(`{"text":"hello, everyone"}`))
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if err := e.b.Publish(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n := e.s.listeners("/topic/a"); n != listeners {
		b.Fatalf("%d listeners left: some were cut off, the numbers are not comparable", n)
	}
}
