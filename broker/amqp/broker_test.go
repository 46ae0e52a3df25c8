package amqp

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/internal/rabbittest"
)

// The tests run against a RabbitMQ node of their own (internal/rabbittest).
// Without rabbitmq-server they skip, unless STOMPBOX_REQUIRE_RABBITMQ is set
// (make test sets it).
var (
	rabbit     *rabbittest.Node
	skipReason string
)

func TestMain(m *testing.M) {
	var err error
	if rabbit, err = rabbittest.New(); err != nil {
		skipReason = err.Error()
	}
	code := m.Run()
	if rabbit != nil {
		rabbit.Close()
	}
	os.Exit(code)
}

func needRabbit(t *testing.T) {
	t.Helper()
	if skipReason == "" {
		return
	}
	if os.Getenv("STOMPBOX_REQUIRE_RABBITMQ") != "" {
		t.Fatalf("RabbitMQ is required (STOMPBOX_REQUIRE_RABBITMQ): %s", skipReason)
	}
	t.Skipf("no RabbitMQ: %s (make deps installs it)", skipReason)
}

func node(t *testing.T) *Broker {
	t.Helper()
	needRabbit(t)
	b, err := New(context.Background(), Config{URL: rabbit.URL(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// inbox collects deliveries.
type inbox struct {
	mu  sync.Mutex
	got []string
	ch  chan struct{}
}

func newInbox() *inbox { return &inbox{ch: make(chan struct{}, 1000)} }

func (in *inbox) Deliver(_ *broker.Subscription, m *broker.Message) bool {
	in.mu.Lock()
	in.got = append(in.got, m.Destination+" "+string(m.Body))
	in.mu.Unlock()
	in.ch <- struct{}{}
	return true
}

func (in *inbox) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		in.mu.Lock()
		got := append([]string(nil), in.got...)
		in.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-in.ch:
		case <-deadline:
			t.Fatalf("got %q, want %d messages", got, n)
		}
	}
}

// quiet reports what in got within d beyond the first n.
func (in *inbox) extra(n int, d time.Duration) []string {
	time.Sleep(d)
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.got[min(n, len(in.got)):]
}

func sub(t *testing.T, b *Broker, id, dest string, in *inbox) *broker.Subscription {
	t.Helper()
	s := &broker.Subscription{ID: id, Destination: dest, Subscriber: in}
	if err := b.Subscribe(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func pub(t *testing.T, b *Broker, dest, body string) {
	t.Helper()
	if err := b.Publish(context.Background(), broker.NewMessage(dest, nil, []byte(body))); err != nil {
		t.Fatal(err)
	}
}

// A topic message published on one node reaches the subscribers of every
// node once, exact and pattern ones, and nothing else.
func TestTopicsAcrossNodes(t *testing.T) {
	a, b := node(t), node(t)
	onA, onB, pattern, other := newInbox(), newInbox(), newInbox(), newInbox()
	sub(t, a, "1", "/topic/rooms.lobby", onA)
	sub(t, b, "1", "/topic/rooms.lobby", onB)
	sub(t, b, "2", "/topic/rooms.*", pattern)
	sub(t, b, "3", "/topic/rooms/lobby", other) // same routing key, another destination
	pub(t, a, "/topic/rooms.lobby", "안녕")
	pub(t, b, "/topic/roomsX", "not a room")
	for name, in := range map[string]*inbox{"node a": onA, "node b": onB, "pattern on b": pattern} {
		if got := in.wait(t, 1); got[0] != "/topic/rooms.lobby 안녕" {
			t.Errorf("%s got %q", name, got)
		}
		if extra := in.extra(1, 0); len(extra) > 0 {
			t.Errorf("%s got more: %q", name, extra)
		}
	}
	if extra := other.extra(0, 300*time.Millisecond); len(extra) > 0 {
		t.Errorf("/topic/rooms/lobby got another destination's messages: %q", extra)
	}
	if extra := onA.extra(1, 0); len(extra) > 0 {
		t.Errorf("node a got a duplicate: %q", extra)
	}
}

// One binding per destination per node, however many subscribe; gone with
// the last.
func TestOneBindingPerDestination(t *testing.T) {
	a := node(t)
	in := newInbox()
	var subs []*broker.Subscription
	for _, id := range []string{"1", "2", "3"} {
		subs = append(subs, sub(t, a, id, "/topic/busy", in))
	}
	if n := a.Stats().Bindings; n != 1 {
		t.Fatalf("%d bindings for three subscriptions to one topic", n)
	}
	pub(t, a, "/topic/busy", "x")
	in.wait(t, 3)
	for _, s := range subs {
		a.Unsubscribe(context.Background(), s)
	}
	if n := a.Stats().Bindings; n != 0 {
		t.Fatalf("%d bindings after the last unsubscribe", n)
	}
}

// RabbitMQ stops and starts again: the node says so, refuses topic
// publishes with ErrUnavailable meanwhile, reconnects, binds again, and
// deliveries resume.
func TestBrokerRestart(t *testing.T) {
	a, b := node(t), node(t)
	in := newInbox()
	sub(t, b, "1", "/topic/restart", in)
	pub(t, a, "/topic/restart", "before")
	in.wait(t, 1)

	rabbit.Stop()
	waitFor(t, "both nodes to see RabbitMQ go", func() bool { return !a.Healthy() && !b.Healthy() })
	err := a.Publish(context.Background(), broker.NewMessage("/topic/restart", nil, []byte("lost?")))
	if !errors.Is(err, broker.ErrUnavailable) {
		t.Fatalf("a publish while RabbitMQ is down: %v, want ErrUnavailable", err)
	}
	if err := rabbit.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both nodes to reconnect", func() bool { return a.Healthy() && b.Healthy() })
	pub(t, a, "/topic/restart", "after")
	if got := in.wait(t, 2); got[1] != "/topic/restart after" {
		t.Fatalf("after the restart: %q", got)
	}
	if a.Stats().Reconnects == 0 {
		t.Error("no reconnect counted")
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Messages for a user reach every node where the user is online, once;
// RabbitMQ says when no node has the user.
func TestUsersAcrossNodes(t *testing.T) {
	a, b := node(t), node(t)
	var mu sync.Mutex
	got := map[string][]string{}
	record := func(node string) func(string, *broker.Message) {
		return func(user string, m *broker.Message) {
			mu.Lock()
			got[node] = append(got[node], user+" "+m.Destination+" "+string(m.Body))
			mu.Unlock()
		}
	}
	a.OnUser(record("a"))
	b.OnUser(record("b"))
	a.Online("홍길동")
	b.Online("홍길동")
	b.Online("고길동")
	ctx := context.Background()
	if reached, err := a.PublishUser(ctx, "홍길동", broker.NewMessage("/queue/reply", nil, []byte("hi"))); !reached || err != nil {
		t.Fatalf("to a user online on both nodes: %v %v", reached, err)
	}
	if reached, err := a.PublishUser(ctx, "고길동", broker.NewMessage("/queue/reply", nil, []byte("only b"))); !reached || err != nil {
		t.Fatalf("to a user online on b: %v %v", reached, err)
	}
	if reached, err := b.PublishUser(ctx, "아무도", broker.NewMessage("/queue/reply", nil, []byte("x"))); reached || err != nil {
		t.Fatalf("to a user online nowhere: reached=%v err=%v, want false <nil>", reached, err)
	}
	waitFor(t, "the deliveries", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got["a"]) >= 1 && len(got["b"]) >= 2
	})
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(got["a"]) != 1 || got["a"][0] != "홍길동 /queue/reply hi" || len(got["b"]) != 2 {
		t.Fatalf("deliveries %q", got)
	}
	a.Offline("홍길동")
	b.Offline("홍길동")
	if reached, _ := a.PublishUser(ctx, "홍길동", broker.NewMessage("/queue/reply", nil, nil)); reached {
		t.Fatal("a user gone from every node was reached")
	}
}

// A subscription the local broker refuses (past its pattern budget) binds
// nothing on RabbitMQ.
func TestRefusedSubscriptionBindsNothing(t *testing.T) {
	needRabbit(t)
	b, err := New(context.Background(), Config{URL: rabbit.URL(), Logger: slog.New(slog.DiscardHandler),
		Local: broker.NewMemoryConfig(broker.MemoryConfig{MaxPatterns: 1})})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	in := newInbox()
	sub(t, b, "1", "/topic/a.*", in)
	err = b.Subscribe(context.Background(), &broker.Subscription{ID: "2", Destination: "/topic/b.*", Subscriber: in})
	if !errors.Is(err, broker.ErrTooManyPatterns) {
		t.Fatalf("a second pattern past MaxPatterns 1: %v", err)
	}
	if st := b.Stats(); st.Bindings != 1 || st.BindCalls != 1 {
		t.Fatalf("%d bindings, %d queue.bind calls after a refused subscription, want 1 and 1", st.Bindings, st.BindCalls)
	}
}
