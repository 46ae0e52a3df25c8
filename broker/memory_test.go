package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stompbox/stompbox/frame"
)

// collector records what it is delivered.
type collector struct {
	mu  sync.Mutex
	got []string
}

func (c *collector) Deliver(s *Subscription, m *Message) {
	c.mu.Lock()
	c.got = append(c.got, s.ID+"="+string(m.Body))
	c.mu.Unlock()
}

func (c *collector) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.got...)
}

func publish(t *testing.T, b Broker, dest, body string) {
	t.Helper()
	if err := b.Publish(context.Background(), NewMessage(dest, nil, []byte(body))); err != nil {
		t.Fatal(err)
	}
}

func TestTopicFanOut(t *testing.T) {
	ctx := context.Background()
	b := NewMemory()
	a, c := &collector{}, &collector{}
	sa := &Subscription{ID: "a", Destination: "/topic/chat", Subscriber: a}
	sc := &Subscription{ID: "c", Destination: "/topic/chat", Subscriber: c}
	other := &collector{}
	for _, s := range []*Subscription{sa, sc, {ID: "o", Destination: "/topic/other", Subscriber: other}} {
		if err := b.Subscribe(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	publish(t, b, "/topic/chat", "1")
	publish(t, b, "/topic/chat", "2")
	if err := b.Unsubscribe(ctx, sc); err != nil {
		t.Fatal(err)
	}
	publish(t, b, "/topic/chat", "3")
	if got := fmt.Sprint(a.list()); got != "[a=1 a=2 a=3]" {
		t.Errorf("a got %s", got)
	}
	if got := fmt.Sprint(c.list()); got != "[c=1 c=2]" {
		t.Errorf("c got %s", got)
	}
	if len(other.list()) != 0 {
		t.Errorf("other destination got %v", other.list())
	}
	b.Unsubscribe(ctx, sa)
	if n := b.Subscriptions("/topic/chat"); n != 0 {
		t.Errorf("%d subscriptions left", n)
	}
}

func TestQueueRoundRobin(t *testing.T) {
	ctx := context.Background()
	b := NewMemory()
	c := &collector{}
	for _, id := range []string{"x", "y", "z"} {
		b.Subscribe(ctx, &Subscription{ID: id, Destination: "/queue/work", Subscriber: c})
	}
	for i := range 6 {
		publish(t, b, "/queue/work", fmt.Sprint(i))
	}
	if got := fmt.Sprint(c.list()); got != "[x=0 y=1 z=2 x=3 y=4 z=5]" {
		t.Errorf("got %s", got)
	}
}

func TestInvalidDestination(t *testing.T) {
	b := NewMemory()
	for _, d := range []string{"", "/topic/", "/queue/", "/app/x", "topic/x", "/topic/a\nb", string(make([]byte, MaxDestinationLen+1))} {
		err := b.Subscribe(context.Background(), &Subscription{ID: "s", Destination: d, Subscriber: &collector{}})
		if !errors.Is(err, ErrBadDestination) {
			t.Errorf("Subscribe(%q) = %v", d, err)
		}
		if err := b.Publish(context.Background(), NewMessage(d, nil, nil)); !errors.Is(err, ErrBadDestination) {
			t.Errorf("Publish(%q) = %v", d, err)
		}
	}
}

// Many publishers at once: each subscriber sees every message once, and each
// publisher's messages in the order it sent them.
func TestPublishOrderPerPublisher(t *testing.T) {
	ctx := context.Background()
	b := NewMemory()
	subs := make([]*collector, 4)
	for i := range subs {
		subs[i] = &collector{}
		b.Subscribe(ctx, &Subscription{ID: "s", Destination: "/topic/t", Subscriber: subs[i]})
	}
	const publishers, each = 8, 500
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			for i := range each {
				b.Publish(ctx, NewMessage("/topic/t", nil, fmt.Appendf(nil, "%d:%d", p, i)))
			}
		})
	}
	wg.Wait()
	for _, c := range subs {
		got := c.list()
		if len(got) != publishers*each {
			t.Fatalf("got %d messages, want %d", len(got), publishers*each)
		}
		next := make([]int, publishers)
		for _, g := range got {
			var p, i int
			fmt.Sscanf(g, "s=%d:%d", &p, &i)
			if i != next[p] {
				t.Fatalf("publisher %d: got %d, want %d", p, i, next[p])
			}
			next[p]++
		}
	}
}

func TestMessageEncodedOnce(t *testing.T) {
	h := frame.Header{}
	h.Add("content-type", "application/json")
	h.Add("message-id", "forged")
	h.Add("subscription", "forged")
	h.Add("x-trace", "a\nb")
	m := NewMessage("/topic/chat", h, []byte(`{"a":1}`))
	got := m.Encoded(frame.V1_2)
	if &got[0] != &m.Encoded(frame.V1_2)[0] {
		t.Error("Encoded built the bytes twice")
	}
	want := "destination:/topic/chat\ncontent-type:application/json\nx-trace:a\\nb\ncontent-length:7\n\n{\"a\":1}\x00"
	if string(got) != want {
		t.Errorf("1.2: %q\nwant %q", got, want)
	}
	if got := string(m.Encoded(frame.V1_0)); got != "destination:/topic/chat\ncontent-type:application/json\nx-trace:a b\ncontent-length:7\n\n{\"a\":1}\x00" {
		t.Errorf("1.0: %q", got)
	}
	if !m.IsText() || NewMessage("/topic/x", nil, []byte{0xff, 0xfe}).IsText() {
		t.Error("IsText wrong")
	}
	// The header was copied: changing the caller's does not change the message.
	h[0].Value[0] = 'X'
	if m.Header.Get("content-type") != "application/json" {
		t.Error("message shares the caller's header memory")
	}
}

type discard struct{}

func (discard) Deliver(*Subscription, *Message) {}

func BenchmarkPublishFanOut100(b *testing.B) {
	ctx := context.Background()
	br := NewMemory()
	for i := range 100 {
		br.Subscribe(ctx, &Subscription{ID: fmt.Sprint(i), Destination: "/topic/chat", Subscriber: discard{}})
	}
	m := NewMessage("/topic/chat", nil, []byte(`{"name":"홍길동","content":"안녕하세요."}`))
	b.ReportAllocs()
	for b.Loop() {
		br.Publish(ctx, m)
	}
}
