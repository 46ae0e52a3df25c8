package messaging_test

import (
	"context"
	"fmt"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/messaging"
)

// printer prints what a subscription receives.
type printer struct{}

func (printer) Deliver(s *broker.Subscription, m *broker.Message) bool {
	fmt.Printf("%s: %s\n", m.Destination, m.Body)
	return true
}

type GreetingMessage struct {
	Name string `json:"name"`
}

// The seed's @MessageMapping("/hello") @SendTo("/topic/greetings"), in Go.
func ExampleHandle() {
	b := broker.NewMemory()
	r := messaging.NewRouter(messaging.Config{Broker: b}) // prefix /app
	messaging.Handle(r, "/hello", func(ctx context.Context, m GreetingMessage) (GreetingMessage, error) {
		return m, nil
	}, messaging.SendTo("/topic/greetings"))

	ctx := context.Background()
	b.Subscribe(ctx, &broker.Subscription{ID: "0", Destination: "/topic/greetings", Subscriber: printer{}})
	// What the server does with a client's SEND to /app/hello:
	r.HandleSend(ctx, broker.NewMessage("/app/hello", nil, []byte(`{"name":"홍길동"}`)))
	// Output:
	// /topic/greetings: {"name":"홍길동"}
}

// The server talking first: a notice pushed from a ticker, as Spring's
// SimpMessagingTemplate.convertAndSend would.
func ExampleTemplate_Publish() {
	b := broker.NewMemory()
	ctx := context.Background()
	b.Subscribe(ctx, &broker.Subscription{ID: "0", Destination: "/topic/clock", Subscriber: printer{}})

	push := &messaging.Template{Broker: b}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for i := range 2 {
		<-tick.C
		push.Publish(ctx, "/topic/clock", map[string]int{"tick": i})
	}
	// Output:
	// /topic/clock: {"tick":0}
	// /topic/clock: {"tick":1}
}
