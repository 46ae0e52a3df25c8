package chat_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/chat"
	"github.com/stompbox/stompbox/messaging"
)

type inbox []string

func (in *inbox) Deliver(s *broker.Subscription, m *broker.Message) bool {
	*in = append(*in, m.Destination+" "+string(m.Body))
	return true
}

// The seed's two mappings, with its JSON field names.
func TestSeedMappings(t *testing.T) {
	ctx := context.Background()
	b := broker.NewMemory()
	r := messaging.NewRouter(messaging.Config{Broker: b})
	chat.Register(r, slog.New(slog.DiscardHandler))
	var in inbox
	for _, d := range []string{chat.GreetingsTopic, chat.ChatTopic} {
		b.Subscribe(ctx, &broker.Subscription{ID: d, Destination: d, Subscriber: &in})
	}
	for _, m := range []struct{ dest, body string }{
		{"/app/hello", `{"name":"홍길동"}`},
		{"/app/chat", `{"name":"홍길동","content":"안녕하세요.","extra":1}`},
	} {
		if handled, err := r.HandleSend(ctx, broker.NewMessage(m.dest, nil, []byte(m.body))); !handled || err != nil {
			t.Fatalf("%s: %v %v", m.dest, handled, err)
		}
	}
	want := inbox{
		`/topic/greetings {"name":"홍길동"}`,
		`/topic/chat {"name":"홍길동","content":"안녕하세요."}`,
	}
	if len(in) != 2 || in[0] != want[0] || in[1] != want[1] {
		t.Fatalf("got %q\nwant %q", in, want)
	}
}
