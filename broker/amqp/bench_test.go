package amqp

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stompbox/stompbox/broker"
)

// counter counts deliveries.
type counter struct{ n atomic.Int64 }

func (c *counter) Deliver(*broker.Subscription, *broker.Message) bool { c.n.Add(1); return true }

// Topic messages published on node A (64 publishers, each waiting for its
// confirm) to 100 subscribers on node B: messages/s through RabbitMQ, and
// deliveries/s on B. Run: go test -run '^$' -bench Through ./broker/amqp/
func BenchmarkThroughRabbitMQ(b *testing.B) {
	if skipReason != "" {
		b.Skip(skipReason)
	}
	ctx := context.Background()
	newNode := func() *Broker {
		n, err := New(ctx, Config{URL: rabbit.URL(), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { n.Close() })
		return n
	}
	a, bb := newNode(), newNode()
	var got counter
	for i := range 100 {
		bb.Subscribe(ctx, &broker.Subscription{ID: fmt.Sprint(i), Destination: "/topic/bench", Subscriber: &got})
	}
	body := make([]byte, 100)
	b.SetParallelism(32)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := a.Publish(ctx, broker.NewMessage("/topic/bench", nil, body)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	want := int64(b.N) * 100
	for deadline := time.Now().Add(30 * time.Second); got.n.Load() < want && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(got.n.Load())/elapsed.Seconds(), "deliveries/s")
	if got.n.Load() != want {
		b.Fatalf("%d deliveries, want %d", got.n.Load(), want)
	}
}
