package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stompbox/stompbox/frame"
)

// collector records what it is delivered.
type collector struct {
	mu  sync.Mutex
	got []string
}

func (c *collector) Deliver(s *Subscription, m *Message) bool {
	c.mu.Lock()
	c.got = append(c.got, s.ID+"="+string(m.Body))
	c.mu.Unlock()
	return true
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

func (discard) Deliver(*Subscription, *Message) bool { return true }

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

func TestQueueHoldsUntilSubscribed(t *testing.T) {
	ctx := context.Background()
	b := NewMemoryConfig(MemoryConfig{MaxHeld: 3})
	for i := range 3 {
		publish(t, b, "/queue/q", fmt.Sprint(i))
	}
	if err := b.Publish(ctx, NewMessage("/queue/q", nil, []byte("over"))); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("publish past MaxHeld: %v", err)
	}
	if b.Held("/queue/q") != 3 {
		t.Fatalf("held %d", b.Held("/queue/q"))
	}
	c := &collector{}
	b.Subscribe(ctx, &Subscription{ID: "s", Destination: "/queue/q", Subscriber: c})
	if got := fmt.Sprint(c.list()); got != "[s=0 s=1 s=2]" || b.Held("/queue/q") != 0 {
		t.Fatalf("got %s, %d still held", got, b.Held("/queue/q"))
	}
}

// redeliveries records whether each delivery was a redelivery.
type redeliveries struct{ collector }

func (r *redeliveries) Deliver(s *Subscription, m *Message) bool {
	r.collector.Deliver(s, m)
	if m.Redelivered {
		r.mu.Lock()
		r.got[len(r.got)-1] += "(r)"
		r.mu.Unlock()
	}
	return true
}

func TestRequeue(t *testing.T) {
	ctx := context.Background()
	b := NewMemory()
	c := &redeliveries{}
	x := &Subscription{ID: "x", Destination: "/queue/q", Subscriber: c}
	y := &Subscription{ID: "y", Destination: "/queue/q", Subscriber: c}
	b.Subscribe(ctx, x)
	b.Subscribe(ctx, y)
	m := NewMessage("/queue/q", nil, []byte("m"))
	// Back from x: to y, never x again while y is there.
	for range 3 {
		if err := b.Requeue(ctx, x, []*Message{m}); err != nil {
			t.Fatal(err)
		}
	}
	if got := fmt.Sprint(c.list()); got != "[y=m(r) y=m(r) y=m(r)]" {
		t.Fatalf("got %s", got)
	}
	// Only x left: back to x. Nobody left: held, first in line.
	b.Unsubscribe(ctx, y)
	b.Requeue(ctx, x, []*Message{m})
	b.Unsubscribe(ctx, x)
	publish(t, b, "/queue/q", "later")
	b.Requeue(ctx, x, []*Message{m})
	z := &redeliveries{}
	b.Subscribe(ctx, &Subscription{ID: "z", Destination: "/queue/q", Subscriber: z})
	if got := fmt.Sprint(c.list()[3:]); got != "[x=m(r)]" {
		t.Fatalf("got %s", got)
	}
	if got := fmt.Sprint(z.list()); got != "[z=m(r) z=later]" {
		t.Fatalf("z got %s", got)
	}
	// Topic messages are not requeued.
	if err := b.Requeue(ctx, x, []*Message{NewMessage("/topic/t", nil, nil)}); err != nil {
		t.Fatal(err)
	}
}

// Destinations are forgotten when their last subscriber leaves, and a
// subscription racing with that removal is never lost.
func TestEmptyDestinationsAreForgotten(t *testing.T) {
	ctx := context.Background()
	b := NewMemory()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			for range 200 {
				s := &Subscription{ID: "s", Destination: fmt.Sprintf("/topic/t%d", i%5), Subscriber: &collector{}}
				b.Subscribe(ctx, s)
				b.Unsubscribe(ctx, s)
			}
		})
	}
	wg.Wait()
	b.mu.RLock()
	n := len(b.dests)
	b.mu.RUnlock()
	if n != 0 {
		t.Fatalf("%d destinations left", n)
	}
	c := &collector{}
	keep := &Subscription{ID: "k", Destination: "/topic/t0", Subscriber: c}
	b.Subscribe(ctx, keep)
	publish(t, b, "/topic/t0", "x")
	if len(c.list()) != 1 {
		t.Fatal("subscription lost")
	}
}

func TestPatternSubscriptions(t *testing.T) {
	ctx := context.Background()
	b := NewMemory()
	rooms, all, exact := &collector{}, &collector{}, &collector{}
	sr := &Subscription{ID: "rooms", Destination: "/topic/rooms.*", Subscriber: rooms}
	b.Subscribe(ctx, sr)
	b.Subscribe(ctx, &Subscription{ID: "all", Destination: "/topic/**", Subscriber: all})
	b.Subscribe(ctx, &Subscription{ID: "exact", Destination: "/topic/rooms.lobby", Subscriber: exact})
	publish(t, b, "/topic/rooms.lobby", "1")
	publish(t, b, "/topic/rooms.kitchen", "2")
	publish(t, b, "/topic/news", "3")
	publish(t, b, "/topic/reply@SESSION", "private")
	if got := fmt.Sprint(rooms.list()); got != "[rooms=1 rooms=2]" {
		t.Errorf("rooms.* got %s", got)
	}
	if got := fmt.Sprint(all.list()); got != "[all=1 all=2 all=3]" {
		t.Errorf("/topic/** got %s (private destinations must never match)", got)
	}
	if got := fmt.Sprint(exact.list()); got != "[exact=1]" {
		t.Errorf("exact got %s", got)
	}
	b.Unsubscribe(ctx, sr)
	publish(t, b, "/topic/rooms.x", "4")
	if len(rooms.list()) != 2 {
		t.Errorf("unsubscribed pattern still delivered: %v", rooms.list())
	}
	for _, d := range []string{"/queue/*", "/topic/a/**/b/**", "/topic/{x"} {
		if err := b.Subscribe(ctx, &Subscription{ID: "x", Destination: d, Subscriber: rooms}); !errors.Is(err, ErrBadDestination) {
			t.Errorf("Subscribe(%q) = %v", d, err)
		}
	}
	if err := b.Publish(ctx, NewMessage("/topic/rooms.*", nil, nil)); !errors.Is(err, ErrBadDestination) {
		t.Errorf("publishing to a pattern: %v", err)
	}
}

// A session's private queue never holds: with its subscriber gone, a
// message is dropped and the destination forgotten.
func TestPrivateQueueDoesNotHold(t *testing.T) {
	ctx := context.Background()
	b := NewMemory()
	c := &collector{}
	s := &Subscription{ID: "r", Destination: "/queue/reply@S1", Subscriber: c}
	b.Subscribe(ctx, s)
	publish(t, b, "/queue/reply@S1", "1")
	b.Unsubscribe(ctx, s)
	publish(t, b, "/queue/reply@S1", "2")
	b.Requeue(ctx, s, []*Message{NewMessage("/queue/reply@S1", nil, []byte("3"))})
	if got := fmt.Sprint(c.list()); got != "[r=1]" || b.Held("/queue/reply@S1") != 0 {
		t.Fatalf("got %s, held %d", got, b.Held("/queue/reply@S1"))
	}
	b.mu.RLock()
	n := len(b.dests)
	b.mu.RUnlock()
	if n != 0 {
		t.Fatalf("%d destinations left", n)
	}
}

// Publishing costs what matches, not how many pattern subscriptions exist:
// compare patterns=0 with patterns=50000.
func BenchmarkPublishWithPatterns(b *testing.B) {
	// Shapes: distinct prefixes (p.N.*), and one prefix with distinct
	// suffixes (*.N), which a prefix-only index would scan.
	for _, shape := range []string{"/topic/p.%d.*", "/topic/*.%d"} {
		for _, n := range []int{0, 1000, 50000} {
			b.Run(fmt.Sprintf("shape=%s/patterns=%d", strings.ReplaceAll(shape, "/", ""), n), func(b *testing.B) {
				ctx := context.Background()
				br := NewMemory()
				for i := range n {
					br.Subscribe(ctx, &Subscription{ID: fmt.Sprint(i), Destination: fmt.Sprintf(shape, i), Subscriber: discard{}})
				}
				br.Subscribe(ctx, &Subscription{ID: "x", Destination: "/topic/chat", Subscriber: discard{}})
				m := NewMessage("/topic/chat", nil, []byte("hi"))
				b.ReportAllocs()
				for b.Loop() {
					br.Publish(ctx, m)
				}
			})
		}
	}
}
