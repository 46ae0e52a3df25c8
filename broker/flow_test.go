package broker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// budget is a subscriber with room for n messages at a time; it refuses
// the rest until take frees room.
type budget struct {
	mu   sync.Mutex
	room int
	got  []string
}

func (c *budget) Deliver(s *Subscription, m *Message) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.room == 0 {
		return false
	}
	c.room--
	c.got = append(c.got, s.ID+"="+string(m.Body))
	return true
}

func (c *budget) give(n int) {
	c.mu.Lock()
	c.room += n
	c.mu.Unlock()
}

func (c *budget) list() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.got, " ")
}

// A refused message goes to the next consumer with room; what nobody has
// room for waits, in order, until a consumer resumes.
func TestQueueOffersRefusedToNextAndHolds(t *testing.T) {
	ctx := context.Background()
	b := NewMemory()
	x, y := &budget{room: 1}, &budget{room: 2}
	sx := &Subscription{ID: "x", Destination: "/queue/q", Subscriber: x}
	sy := &Subscription{ID: "y", Destination: "/queue/q", Subscriber: y}
	b.Subscribe(ctx, sx)
	b.Subscribe(ctx, sy)
	for i := range 6 {
		publish(t, b, "/queue/q", fmt.Sprint(i))
	}
	if x.list() != "x=0" || y.list() != "y=1 y=2" || b.Held("/queue/q") != 3 {
		t.Fatalf("x %q, y %q, held %d", x.list(), y.list(), b.Held("/queue/q"))
	}
	// Room without Resume changes nothing: the broker waits to be told.
	y.give(1)
	publish(t, b, "/queue/q", "6")
	if y.list() != "y=1 y=2" {
		t.Fatalf("a full subscriber was offered a message before it resumed: %q", y.list())
	}
	b.Resume(sy)
	if y.list() != "y=1 y=2 y=3" || b.Held("/queue/q") != 3 {
		t.Fatalf("after resume: y %q, held %d", y.list(), b.Held("/queue/q"))
	}
	x.give(10)
	b.Resume(sx)
	if x.list() != "x=0 x=4 x=5 x=6" || b.Held("/queue/q") != 0 {
		t.Fatalf("x %q, held %d", x.list(), b.Held("/queue/q"))
	}
	if st := b.Stats(); st.HeldBytes != 0 {
		t.Fatalf("held bytes %d after draining", st.HeldBytes)
	}
}

// Requeued messages go ahead of newer held ones, in the order given.
func TestRequeueKeepsOrderAheadOfHeld(t *testing.T) {
	ctx := context.Background()
	b := NewMemory()
	publish(t, b, "/queue/q", "new1")
	publish(t, b, "/queue/q", "new2")
	var ms []*Message
	for i := range 3 {
		ms = append(ms, NewMessage("/queue/q", nil, []byte(fmt.Sprint("old", i))))
	}
	gone := &Subscription{ID: "gone", Destination: "/queue/q"}
	if err := b.Requeue(ctx, gone, ms); err != nil {
		t.Fatal(err)
	}
	c := &redeliveries{}
	b.Subscribe(ctx, &Subscription{ID: "c", Destination: "/queue/q", Subscriber: c})
	if got := fmt.Sprint(c.list()); got != "[c=old0(r) c=old1(r) c=old2(r) c=new1 c=new2]" {
		t.Fatalf("got %s", got)
	}
}

func TestQueueBudgets(t *testing.T) {
	ctx := context.Background()
	body := make([]byte, 1000)
	size := NewMessage("/queue/a", nil, body).Size()
	b := NewMemoryConfig(MemoryConfig{MaxQueueBytes: 3 * size, MaxBytes: 5 * size})
	send := func(dest string) error { return b.Publish(ctx, NewMessage(dest, nil, body)) }
	for range 3 {
		if err := send("/queue/a"); err != nil {
			t.Fatal(err)
		}
	}
	if err := send("/queue/a"); !errors.Is(err, ErrQueueFull) || !strings.Contains(err.Error(), "MaxQueueBytes") {
		t.Fatalf("past MaxQueueBytes: %v", err)
	}
	for range 2 {
		if err := send("/queue/b"); err != nil {
			t.Fatal(err)
		}
	}
	if err := send("/queue/c"); !errors.Is(err, ErrQueueFull) || !strings.Contains(err.Error(), "MaxBytes") {
		t.Fatalf("past MaxBytes: %v", err)
	}
	if st := b.Stats(); st.HeldBytes != 5*size || st.RefusedFull != 2 || st.Destinations != 2 {
		t.Fatalf("stats %+v", st)
	}
	// A consumer that takes everything frees the budget.
	b.Subscribe(ctx, &Subscription{ID: "s", Destination: "/queue/a", Subscriber: &collector{}})
	if err := send("/queue/c"); err != nil {
		t.Fatalf("after draining /queue/a: %v", err)
	}
}

func TestDestinationAndPatternBudgets(t *testing.T) {
	ctx := context.Background()
	b := NewMemoryConfig(MemoryConfig{MaxDestinations: 2, MaxPatterns: 1})
	c := &collector{}
	b.Subscribe(ctx, &Subscription{ID: "1", Destination: "/topic/a", Subscriber: c})
	publish(t, b, "/queue/b", "held")
	err := b.Subscribe(ctx, &Subscription{ID: "3", Destination: "/topic/c", Subscriber: c})
	if !errors.Is(err, ErrTooManyDestinations) || !strings.Contains(err.Error(), "MaxDestinations") {
		t.Fatalf("third destination: %v", err)
	}
	if err := b.Publish(ctx, NewMessage("/queue/d", nil, nil)); !errors.Is(err, ErrTooManyDestinations) {
		t.Fatalf("publish creating a third: %v", err)
	}
	publish(t, b, "/topic/nobody", "topics without subscribers create nothing")
	if err := b.Subscribe(ctx, &Subscription{ID: "p1", Destination: "/topic/x.*", Subscriber: c}); err != nil {
		t.Fatal(err)
	}
	err = b.Subscribe(ctx, &Subscription{ID: "p2", Destination: "/topic/y.*", Subscriber: c})
	if !errors.Is(err, ErrTooManyPatterns) || !strings.Contains(err.Error(), "MaxPatterns") {
		t.Fatalf("second pattern: %v", err)
	}
}

// PublishAll routes every message or none.
func TestPublishAllIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	body := make([]byte, 1000)
	size := NewMessage("/queue/a", nil, body).Size()
	b := NewMemoryConfig(MemoryConfig{MaxQueueBytes: 2 * size})
	c := &collector{}
	b.Subscribe(ctx, &Subscription{ID: "t", Destination: "/topic/t", Subscriber: c})
	batch := []*Message{
		NewMessage("/topic/t", nil, []byte("1")),
		NewMessage("/queue/a", nil, body),
		NewMessage("/queue/a", nil, body),
		NewMessage("/queue/a", nil, body),
	}
	if err := b.PublishAll(ctx, batch); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("over budget: %v", err)
	}
	if len(c.list()) != 0 || b.Held("/queue/a") != 0 || b.Stats().HeldBytes != 0 {
		t.Fatalf("a failed batch left %v, %d held", c.list(), b.Held("/queue/a"))
	}
	if err := b.PublishAll(ctx, batch[:3]); err != nil {
		t.Fatal(err)
	}
	if len(c.list()) != 1 || b.Held("/queue/a") != 2 {
		t.Fatalf("a good batch: %v, %d held", c.list(), b.Held("/queue/a"))
	}
	if err := b.PublishAll(ctx, []*Message{NewMessage("/queue/r@GONE", nil, nil)}); !errors.Is(err, ErrBadDestination) {
		t.Fatalf("a private queue with no session: %v", err)
	}
}

// A consumer that refuses everything (a closing session) never makes the
// broker loop or spin: the message goes to another or is held.
func TestRefusingConsumerIsSkipped(t *testing.T) {
	ctx := context.Background()
	b := NewMemory()
	closing := &budget{}
	b.Subscribe(ctx, &Subscription{ID: "closing", Destination: "/queue/q", Subscriber: closing})
	for i := range 1000 {
		publish(t, b, "/queue/q", fmt.Sprint(i))
	}
	if b.Held("/queue/q") != 1000 {
		t.Fatalf("held %d", b.Held("/queue/q"))
	}
	ok := &collector{}
	b.Subscribe(ctx, &Subscription{ID: "ok", Destination: "/queue/q", Subscriber: ok})
	if got := ok.list(); len(got) != 1000 || got[0] != "ok=0" || got[999] != "ok=999" {
		t.Fatalf("the healthy consumer got %d", len(got))
	}
}

// TakeHeld removes the held messages it selects, oldest first, gives back
// their bytes, and forgets a queue left empty; the rest stay in order.
func TestTakeHeld(t *testing.T) {
	b := NewMemory()
	for _, body := range []string{"up1", "local", "up2"} {
		publish(t, b, "/queue/q", body)
	}
	taken := b.TakeHeld("/queue/q", func(m *Message) bool { return strings.HasPrefix(string(m.Body), "up") })
	if len(taken) != 2 || string(taken[0].Body) != "up1" || string(taken[1].Body) != "up2" {
		t.Fatalf("took %d messages", len(taken))
	}
	if n := b.Held("/queue/q"); n != 1 {
		t.Fatalf("%d held after taking 2 of 3", n)
	}
	c := &budget{room: 10}
	b.Subscribe(context.Background(), &Subscription{ID: "c", Destination: "/queue/q", Subscriber: c})
	if c.list() != "c=local" {
		t.Fatalf("the one left: %q", c.list())
	}
	publish(t, b, "/queue/other", "x")
	b.TakeHeld("/queue/other", func(*Message) bool { return true })
	if st := b.Stats(); st.HeldBytes != 0 || st.Destinations != 1 {
		t.Fatalf("after taking everything: %+v", st)
	}
}
