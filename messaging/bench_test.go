package messaging_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/messaging"
)

// countDeliver counts what reaches a subscriber.
type countDeliver struct{ n int }

func (c *countDeliver) Deliver(*broker.Subscription, *broker.Message) bool { c.n++; return true }

// BenchmarkRouter measures one SEND through the application layer: the
// destination matched among routes with variables, the JSON body decoded
// into the handler's type, its result encoded and published to a topic
// with one subscriber.
func BenchmarkRouter(b *testing.B) {
	type line struct {
		Room    string `json:"room"`
		Name    string `json:"name"`
		Content string `json:"content"`
	}
	for _, kind := range []string{"typed", "raw"} {
		b.Run(kind, func(b *testing.B) {
			br := broker.NewMemory()
			r := messaging.NewRouter(messaging.Config{Broker: br})
			for i := range 20 { // other routes to look past
				messaging.Handle(r, fmt.Sprintf("/other%d/{x}", i), func(ctx context.Context, s string) (string, error) { return s, nil })
			}
			if kind == "typed" {
				messaging.Handle(r, "/rooms/{room}/chat", func(ctx context.Context, m line) (line, error) {
					m.Room = messaging.Var(ctx, "room")
					return m, nil
				}, messaging.SendTo("/topic/rooms.{room}"))
			} else {
				messaging.Handle(r, "/rooms/{room}/chat", func(ctx context.Context, m json.RawMessage) (json.RawMessage, error) {
					return m, nil
				}, messaging.SendTo("/topic/rooms.{room}"))
			}
			sub := &countDeliver{}
			if err := br.Subscribe(context.Background(), &broker.Subscription{ID: "s", Destination: "/topic/rooms.r1", Subscriber: sub}); err != nil {
				b.Fatal(err)
			}
			body := []byte(`{"room":"","name":"홍길동","content":"안녕하세요, 여러분. 오늘 회의는 세 시입니다."}`)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				handled, err := r.HandleSend(ctx, broker.NewMessage("/app/rooms/r1/chat", nil, body))
				if !handled || err != nil {
					b.Fatalf("handled=%v err=%v", handled, err)
				}
			}
			if sub.n != b.N {
				b.Fatalf("%d delivered of %d", sub.n, b.N)
			}
		})
	}
}
