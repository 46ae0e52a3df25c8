package amqp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/stompbox/stompbox/broker"
)

// consumer is a queue subscriber like a session: it takes up to room
// messages at once, and acknowledges them upstream when told to.
type consumer struct {
	mu   sync.Mutex
	room int
	held []*broker.Message // taken, not settled
	got  []string          // every body taken, in order
	ch   chan struct{}
}

func newConsumer(room int) *consumer { return &consumer{room: room, ch: make(chan struct{}, 10000)} }

func (c *consumer) Deliver(_ *broker.Subscription, m *broker.Message) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.held) >= c.room {
		return false
	}
	c.held = append(c.held, m)
	c.got = append(c.got, string(m.Body))
	c.ch <- struct{}{}
	return true
}

// ackAll settles what c holds, as ACK frames would, and makes room.
func (c *consumer) ackAll(b *Broker, s *broker.Subscription) {
	c.mu.Lock()
	held := c.held
	c.held = nil
	c.mu.Unlock()
	for _, m := range held {
		m.Upstream.Ack()
	}
	b.Resume(s)
}

func (c *consumer) bodies() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.got)
}

// waitTotal waits until the consumers have taken n messages together.
func waitTotal(t *testing.T, n int, cs ...*consumer) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d queue messages", n), func() bool {
		total := 0
		for _, c := range cs {
			total += len(c.bodies())
		}
		return total >= n
	})
}

func queueSub(t *testing.T, b *Broker, dest string, c *consumer) *broker.Subscription {
	t.Helper()
	s := &broker.Subscription{ID: "q", Destination: dest, Subscriber: c}
	if err := b.Subscribe(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func uniqueQueue(t *testing.T) string {
	return fmt.Sprintf("/queue/%s-%d", t.Name(), time.Now().UnixNano())
}

// Competing consumers on two nodes share one RabbitMQ queue: each message
// goes to one of them, and both get some.
func TestQueueCompetingConsumersAcrossNodes(t *testing.T) {
	a, b := node(t), node(t)
	q := uniqueQueue(t)
	ca, cb := newConsumer(1000), newConsumer(1000)
	queueSub(t, a, q, ca)
	queueSub(t, b, q, cb)
	const n = 200
	for i := range n {
		pub(t, a, q, fmt.Sprint(i))
	}
	waitTotal(t, n, ca, cb)
	time.Sleep(200 * time.Millisecond) // a duplicate would show up here
	got := append(ca.bodies(), cb.bodies()...)
	if len(got) != n {
		t.Fatalf("%d deliveries for %d messages", len(got), n)
	}
	seen := map[string]bool{}
	for _, body := range got {
		if seen[body] {
			t.Fatalf("message %s delivered twice", body)
		}
		seen[body] = true
	}
	if len(ca.bodies()) == 0 || len(cb.bodies()) == 0 {
		t.Fatalf("one node got everything: a %d, b %d", len(ca.bodies()), len(cb.bodies()))
	}
	if s := a.Stats(); s.Queues != 1 {
		t.Fatalf("node a consumes %d queues, want 1", s.Queues)
	}
}

// A message published while nobody consumes waits in RabbitMQ, and comes,
// in order, to the first consumer on any node.
func TestQueueHeldUntilAConsumerComes(t *testing.T) {
	a, b := node(t), node(t)
	q := uniqueQueue(t)
	for i := range 5 {
		pub(t, a, q, fmt.Sprint(i))
	}
	c := newConsumer(100)
	queueSub(t, b, q, c)
	waitTotal(t, 5, c)
	if got := c.bodies(); !slices.Equal(got, []string{"0", "1", "2", "3", "4"}) {
		t.Fatalf("got %q, want 0..4 in order", got)
	}
}

// A node that dies with messages unacknowledged: RabbitMQ gives them to
// the other node's consumer, marked redelivered. Acknowledged ones are
// not given again.
func TestQueueUnackedRedeliveredWhenANodeDies(t *testing.T) {
	a, b := node(t), node(t)
	q := uniqueQueue(t)
	ca := newConsumer(1000)
	sa := queueSub(t, a, q, ca)
	pub(t, a, q, "acked")
	waitTotal(t, 1, ca)
	ca.ackAll(a, sa)
	pub(t, a, q, "unacked")
	waitTotal(t, 2, ca)

	cb := newConsumer(1000)
	queueSub(t, b, q, cb)
	a.Close() // as a crash: the connection goes, nothing is settled
	waitTotal(t, 1, cb)
	time.Sleep(200 * time.Millisecond)
	cb.mu.Lock()
	defer cb.mu.Unlock()
	if len(cb.got) != 1 || cb.got[0] != "unacked" || !cb.held[0].Redelivered {
		t.Fatalf("node b got %q (redelivered %v), want the one unacknowledged message, redelivered", cb.got, len(cb.held) > 0 && cb.held[0].Redelivered)
	}
}

// A NACK (Requeue) gives the message back to RabbitMQ, which delivers it
// again: here to the other node, the only consumer with room.
func TestQueueNackGoesBackToRabbitMQ(t *testing.T) {
	a, b := node(t), node(t)
	q := uniqueQueue(t)
	ca := newConsumer(1)
	sa := queueSub(t, a, q, ca)
	pub(t, a, q, "job")
	waitTotal(t, 1, ca)
	cb := newConsumer(10)
	queueSub(t, b, q, cb)
	a.Unsubscribe(context.Background(), sa)
	if err := a.Requeue(context.Background(), sa, ca.held); err != nil {
		t.Fatal(err)
	}
	waitTotal(t, 1, cb)
	if got := cb.bodies(); got[0] != "job" {
		t.Fatalf("node b got %q", got)
	}
}

// A node's last local subscriber leaves while the node holds messages it
// took from RabbitMQ for want of room: they go back to RabbitMQ, and to
// the other node, in order.
func TestQueueLastUnsubscribeReturnsHeld(t *testing.T) {
	a, b := node(t), node(t)
	q := uniqueQueue(t)
	ca := newConsumer(1) // takes one, then is full: the rest wait on node a
	sa := queueSub(t, a, q, ca)
	for i := range 10 {
		pub(t, a, q, fmt.Sprint(i))
	}
	waitFor(t, "node a to hold the rest", func() bool { return a.Local().Held(q) == 9 })
	a.Unsubscribe(context.Background(), sa)
	if err := a.Requeue(context.Background(), sa, ca.held); err != nil {
		t.Fatal(err)
	}
	if n := a.Local().Held(q); n != 0 {
		t.Fatalf("node a still holds %d", n)
	}
	cb := newConsumer(100)
	queueSub(t, b, q, cb)
	waitTotal(t, 10, cb)
	got := cb.bodies()
	slices.SortFunc(got, func(x, y string) int { return len(x) - len(y) })
	for i, body := range got {
		if body != fmt.Sprint(i) {
			t.Fatalf("node b got %q, want 0..9 once each", cb.bodies())
		}
	}
	if a.Stats().Queues != 0 {
		t.Fatalf("node a still consumes %d queues", a.Stats().Queues)
	}
}

// A RabbitMQ queue at its declared limit refuses a SEND with ErrQueueFull,
// naming the limit; what it took is still delivered.
func TestQueueLimitRefusesWithQueueFull(t *testing.T) {
	needRabbit(t)
	a, err := New(context.Background(), Config{URL: rabbit.URL(), Logger: slog.New(slog.DiscardHandler), QueueMaxLength: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	q := uniqueQueue(t)
	for i := range 3 {
		pub(t, a, q, fmt.Sprint(i))
	}
	err = a.Publish(context.Background(), broker.NewMessage(q, nil, []byte("3")))
	if !errors.Is(err, broker.ErrQueueFull) {
		t.Fatalf("a 4th message to a queue of 3: %v, want ErrQueueFull", err)
	}
	c := newConsumer(10)
	queueSub(t, a, q, c)
	waitTotal(t, 3, c)
}

// RabbitMQ restarts: a message waiting in a queue nobody consumes is kept
// (durable queue, persistent message); one a consumer took and had not
// acknowledged is delivered again; the consumer is set up again by itself.
func TestQueueSurvivesBrokerRestart(t *testing.T) {
	a, b := node(t), node(t)
	q, idle := uniqueQueue(t), uniqueQueue(t)+"-idle"
	c := newConsumer(100)
	s := queueSub(t, b, q, c)
	pub(t, a, q, "acked")
	waitTotal(t, 1, c)
	c.ackAll(b, s)
	pub(t, a, q, "unacked")
	waitTotal(t, 2, c)
	pub(t, a, idle, "waiting")

	rabbit.Stop()
	waitFor(t, "both nodes to see RabbitMQ go", func() bool { return !a.Healthy() && !b.Healthy() })
	if err := a.Publish(context.Background(), broker.NewMessage(q, nil, []byte("refused"))); !errors.Is(err, broker.ErrUnavailable) {
		t.Fatalf("a queue publish while RabbitMQ is down: %v, want ErrUnavailable", err)
	}
	if err := rabbit.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both nodes to reconnect", func() bool { return a.Healthy() && b.Healthy() })
	pub(t, a, q, "after")
	waitFor(t, "unacked again, and after", func() bool {
		got := c.bodies()
		return slices.Contains(got, "after") && count(got, "unacked") == 2
	})
	if got := c.bodies(); count(got, "acked") != 1 {
		t.Fatalf("an acknowledged message came again: %q", got)
	}
	w := newConsumer(10)
	queueSub(t, a, idle, w)
	waitTotal(t, 1, w)
	if got := w.bodies(); got[0] != "waiting" {
		t.Fatalf("the idle queue gave %q", got)
	}
}

func count(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// RabbitMQ refusing one queue (here: an exclusive queue of that name held
// by another connection) refuses the SEND to it, naming the refusal, and
// costs nothing else: the node stays connected and other queues work.
func TestQueueRefusedDeclarationIsIsolated(t *testing.T) {
	a := node(t)
	q := uniqueQueue(t)
	ch := rawChannel(t)
	if _, err := ch.QueueDeclare(queueName(q), false, true, true, false, nil); err != nil {
		t.Fatal(err)
	}
	err := a.Publish(context.Background(), broker.NewMessage(q, nil, []byte("x")))
	if !errors.Is(err, broker.ErrBadDestination) || !strings.Contains(err.Error(), "RabbitMQ refused queue") {
		t.Fatalf("a SEND to a queue RabbitMQ refuses: %v", err)
	}
	other := uniqueQueue(t) + "-ok"
	pub(t, a, other, "fine")
	c := newConsumer(10)
	queueSub(t, a, other, c)
	waitTotal(t, 1, c)
	if !a.Healthy() || a.Stats().Reconnects != 0 {
		t.Fatalf("the refusal cost the link: healthy %v, reconnects %d", a.Healthy(), a.Stats().Reconnects)
	}
}

// A queue deleted behind the nodes' backs (by an operator) is declared
// again: a SEND to it is not lost to the missing queue, and the node
// that consumed it consumes the new one.
func TestQueueDeletedIsDeclaredAgain(t *testing.T) {
	a, b := node(t), node(t)
	q := uniqueQueue(t)
	c := newConsumer(100)
	queueSub(t, b, q, c)
	pub(t, a, q, "before")
	waitTotal(t, 1, c)

	ch := rawChannel(t)
	if _, err := ch.QueueDelete(queueName(q), false, false, false); err != nil {
		t.Fatal(err)
	}
	pub(t, a, q, "after") // a declared it before: RabbitMQ returns it, a declares again and resends
	waitTotal(t, 2, c)
	if got := c.bodies(); got[1] != "after" {
		t.Fatalf("got %q", got)
	}
}

// rawChannel is a channel on a connection of the test's own, to do to
// RabbitMQ what an operator or another application might.
func rawChannel(t *testing.T) *amqp.Channel {
	t.Helper()
	conn, err := amqp.Dial(rabbit.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// A node consumes at most MaxQueueConsumers queues at once (an AMQP
// consumer and a goroutine each): one more SUBSCRIBE is refused, naming
// the budget, before anything is declared; one that leaves makes room.
func TestQueueConsumersBudget(t *testing.T) {
	needRabbit(t)
	a, err := New(context.Background(), Config{URL: rabbit.URL(), Logger: slog.New(slog.DiscardHandler), MaxQueueConsumers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	q := uniqueQueue(t)
	s1 := queueSub(t, a, q+"-1", newConsumer(1))
	queueSub(t, a, q+"-2", newConsumer(1))
	third := &broker.Subscription{ID: "q", Destination: q + "-3", Subscriber: newConsumer(1)}
	err = a.Subscribe(context.Background(), third)
	if !errors.Is(err, broker.ErrTooManyDestinations) || !strings.Contains(err.Error(), "MaxQueueConsumers") {
		t.Fatalf("a third queue: %v, want ErrTooManyDestinations naming MaxQueueConsumers", err)
	}
	if n := a.Local().Subscriptions(q + "-3"); n != 0 {
		t.Fatalf("the refused subscription stayed in the local broker (%d)", n)
	}
	a.Unsubscribe(context.Background(), s1)
	queueSub(t, a, q+"-3", newConsumer(1))
	if n := a.Stats().Queues; n != 2 {
		t.Fatalf("%d queues consumed, want 2", n)
	}
}
