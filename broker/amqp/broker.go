package amqp

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
)

// Config configures a Broker. Zero fields get the defaults in the comments;
// URL is required.
type Config struct {
	// URL is RabbitMQ's, e.g. amqp://user:pass@127.0.0.1:5672/vhost.
	URL string
	// Exchange is the topic exchange topics travel through, declared
	// durable if missing. Default "stompbox.topics".
	Exchange string
	// Local fans messages out to this node's subscribers and keeps its
	// queues. Default broker.NewMemory().
	Local *broker.Memory
	// PublishTimeout bounds the wait for a publisher confirm. Default 5s.
	PublishTimeout time.Duration
	// Logger receives connection events. Default slog.Default().
	Logger *slog.Logger
	// QueuePrefetch is how many messages of one /queue/ destination this
	// node may hold unacknowledged (its AMQP consumer's prefetch); its
	// local subscribers' prefetch limits each of them within it. Default 100.
	QueuePrefetch int
	// MaxQueueConsumers bounds the /queue/ destinations this node consumes
	// at once (an AMQP consumer and a goroutine each). Default 10000.
	MaxQueueConsumers int
	// QueueMaxLength and QueueMaxBytes are the limits each RabbitMQ queue
	// is declared with (x-max-length, x-max-length-bytes, with
	// x-overflow reject-publish): past them a SEND is refused with
	// ErrQueueFull. Defaults broker.DefaultMaxHeld and
	// broker.DefaultMaxQueueBytes, the memory broker's.
	QueueMaxLength int
	QueueMaxBytes  int64
}

// A Broker is a node's broker on RabbitMQ. Create it with New.
type Broker struct {
	cfg   Config
	local *broker.Memory
	log   *slog.Logger

	bindMu sync.Mutex     // serializes binding changes with refs
	refs   map[string]int // binding key -> local subscriptions that need it

	mu     sync.Mutex
	link   *link // nil while disconnected
	closed bool

	onUser func(user string, m *broker.Message) // set once, before traffic (server.New)

	qmu    sync.Mutex        // serializes starting and stopping queue consumers
	queues map[string]*qdest // queue destination -> its local subscriptions and consumer

	retMu    sync.Mutex
	returned map[string]bool // message ids RabbitMQ returned as unroutable, until their publisher looks

	healthy    atomic.Bool
	reconnects atomic.Int64
	binds      atomic.Int64 // queue.bind calls made
	lateAcks   atomic.Int64 // ACKs of queue messages whose channel had gone (RabbitMQ redelivers them)
	nqueues    atomic.Int64 // len(queues), read without qmu
	forgotten  atomic.Int64 // queue messages held locally when their link was lost (RabbitMQ redelivers them)
	done       chan struct{}
	wg         sync.WaitGroup
}

var (
	_ broker.Broker     = (*Broker)(nil)
	_ broker.Resumer    = (*Broker)(nil)
	_ broker.Requeuer   = (*Broker)(nil)
	_ broker.Batcher    = (*Broker)(nil)
	_ broker.UserRouter = (*Broker)(nil)
)

// link is one connection to RabbitMQ and what was declared on it.
type link struct {
	conn    *amqp.Connection
	pub     *amqp.Channel // confirm mode
	sub     *amqp.Channel // bindings and the consumer
	queue   string        // this node's exclusive queue
	returns chan amqp.Return

	qch      *amqp.Channel   // consumers of /queue/ destinations, with QueuePrefetch
	dmu      sync.Mutex      // guards decl and declared
	decl     *amqp.Channel   // queue declarations, opened again after a refusal
	declared map[string]bool // queue destinations declared on this link
}

// hdrDestination and hdrHeaders carry a message's destination and STOMP
// headers (as [key, value, key, value...], so order and repeats survive).
const (
	hdrDestination = "stompbox-destination"
	hdrHeaders     = "stompbox-headers"
	hdrUser        = "stompbox-user" // a message for a user's sessions on every node
)

// New connects to RabbitMQ and returns the Broker; it fails if the first
// connection does (later losses are ridden out).
func New(ctx context.Context, cfg Config) (*Broker, error) {
	if cfg.URL == "" {
		return nil, errors.New("broker/amqp: Config.URL is empty")
	}
	if cfg.Exchange == "" {
		cfg.Exchange = "stompbox.topics"
	}
	if cfg.Local == nil {
		cfg.Local = broker.NewMemory()
	}
	if cfg.PublishTimeout <= 0 {
		cfg.PublishTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.QueuePrefetch <= 0 {
		cfg.QueuePrefetch = 100
	}
	if cfg.MaxQueueConsumers <= 0 {
		cfg.MaxQueueConsumers = 10000
	}
	if cfg.QueueMaxLength <= 0 {
		cfg.QueueMaxLength = broker.DefaultMaxHeld
	}
	if cfg.QueueMaxBytes <= 0 {
		cfg.QueueMaxBytes = broker.DefaultMaxQueueBytes
	}
	b := &Broker{cfg: cfg, local: cfg.Local, log: cfg.Logger, refs: make(map[string]int), queues: make(map[string]*qdest), returned: make(map[string]bool), done: make(chan struct{})}
	l, err := b.connect()
	if err != nil {
		return nil, err
	}
	b.up(l)
	return b, nil
}

// Healthy reports whether the node is connected to RabbitMQ.
func (b *Broker) Healthy() bool { return b.healthy.Load() }

// Local is the node's local broker (for its Stats).
func (b *Broker) Local() *broker.Memory { return b.local }

// connect dials, declares the exchange and the node's queue, binds every
// key subscribers need and starts consuming.
func (b *Broker) connect() (*link, error) {
	conn, err := amqp.DialConfig(b.cfg.URL, amqp.Config{
		Heartbeat:  10 * time.Second,
		Properties: amqp.Table{"connection_name": "stompbox node"},
	})
	if err != nil {
		return nil, fmt.Errorf("broker/amqp: connect: %w", redact(err, b.cfg.URL))
	}
	l := &link{conn: conn, declared: make(map[string]bool)}
	fail := func(what string, err error) (*link, error) {
		conn.Close()
		return nil, fmt.Errorf("broker/amqp: %s: %w", what, err)
	}
	if l.sub, err = conn.Channel(); err != nil {
		return fail("channel", err)
	}
	if l.pub, err = conn.Channel(); err != nil {
		return fail("channel", err)
	}
	if err := l.pub.Confirm(false); err != nil {
		return fail("confirm mode", err)
	}
	if l.qch, err = conn.Channel(); err != nil {
		return fail("channel", err)
	}
	if err := l.qch.Qos(b.cfg.QueuePrefetch, 0, false); err != nil {
		return fail("qos", err)
	}
	// Unroutable user messages come back before their confirm; publishers
	// drain this after their confirm (see PublishUser).
	l.returns = l.pub.NotifyReturn(make(chan amqp.Return, 1024))
	if err := l.sub.ExchangeDeclare(b.cfg.Exchange, "topic", true, false, false, false, nil); err != nil {
		return fail("declare exchange", err)
	}
	q, err := l.sub.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		return fail("declare queue", err)
	}
	l.queue = q.Name
	deliveries, err := l.sub.Consume(l.queue, "", true, true, false, false, nil)
	if err != nil {
		return fail("consume", err)
	}
	// Bind what subscribers need and become the node's link in one step
	// under bindMu: a Subscribe either comes before (and is bound here) or
	// after (and binds on this link itself).
	b.bindMu.Lock()
	for key := range b.refs {
		if err := l.sub.QueueBind(l.queue, key, b.cfg.Exchange, false, nil); err != nil {
			b.bindMu.Unlock()
			return fail("bind "+key, err)
		}
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		b.bindMu.Unlock()
		return fail("connect", errors.New("the broker is closed"))
	}
	b.link = l
	b.mu.Unlock()
	b.bindMu.Unlock()
	b.wg.Add(1)
	go b.consume(deliveries)
	return l, nil
}

// up watches l, the node's link, for loss: of the connection, or of one
// of its channels (a channel error, the queue's consumer cancelled), which
// ends the connection so that everything is declared again.
func (b *Broker) up(l *link) {
	closed := l.conn.NotifyClose(make(chan *amqp.Error, 1))
	pubClosed := l.pub.NotifyClose(make(chan *amqp.Error, 1))
	subClosed := l.sub.NotifyClose(make(chan *amqp.Error, 1))
	qClosed := l.qch.NotifyClose(make(chan *amqp.Error, 1))
	cancelled := l.sub.NotifyCancel(make(chan string, 1))
	b.healthy.Store(true)
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		var why any
		select {
		case e := <-closed:
			why = e
		case e := <-pubClosed:
			why = e
		case e := <-subClosed:
			why = e
		case e := <-qClosed:
			why = e
		case tag := <-cancelled:
			why = "the queue's consumer was cancelled: " + tag
		case <-b.done:
			return
		}
		l.conn.Close() // a channel's end ends the link
		b.mu.Lock()
		if b.link == l {
			b.link = nil
		}
		stopping := b.closed
		b.mu.Unlock()
		b.healthy.Store(false)
		b.forgetQueues(l)
		if stopping {
			return
		}
		b.log.Warn("broker/amqp: link lost; reconnecting", "err", why)
		b.reconnect()
	}()
}

// reconnect dials again with backoff (100 ms doubling to 10 s, with
// jitter) until it succeeds or the broker is closed.
func (b *Broker) reconnect() {
	wait := 100 * time.Millisecond
	for {
		select {
		case <-b.done:
			return
		case <-time.After(wait/2 + rand.N(wait)):
		}
		l, err := b.connect()
		if err == nil {
			b.reconnects.Add(1)
			b.log.Info("broker/amqp: reconnected", "bindings", b.bindings())
			b.up(l)
			b.resumeQueues(l)
			return
		}
		b.log.Warn("broker/amqp: reconnect failed", "err", err, "next_in", wait)
		wait = min(2*wait, 10*time.Second)
	}
}

func (b *Broker) bindings() int {
	b.bindMu.Lock()
	defer b.bindMu.Unlock()
	return len(b.refs)
}

func (b *Broker) current() *link {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.link
}

// broken closes l after a channel error, so that the node reconnects and
// declares everything again.
func (b *Broker) broken(l *link, what string, err error) {
	b.log.Warn("broker/amqp: channel failed; reconnecting", "op", what, "err", err)
	l.conn.Close()
}

// consume hands each message from the node's queue to the local broker.
func (b *Broker) consume(deliveries <-chan amqp.Delivery) {
	defer b.wg.Done()
	for d := range deliveries {
		dest, _ := d.Headers[hdrDestination].(string)
		if user, ok := d.Headers[hdrUser].(string); ok {
			if b.onUser != nil && broker.ValidDestination(dest) {
				b.onUser(user, broker.NewMessage(dest, headersOf(d), d.Body))
			}
			continue
		}
		if !strings.HasPrefix(dest, broker.TopicPrefix) || !broker.ValidDestination(dest) {
			b.log.Warn("broker/amqp: a message without a valid destination was dropped", "routing_key", d.RoutingKey)
			continue
		}
		if err := b.local.Publish(context.Background(), broker.NewMessage(dest, headersOf(d), d.Body)); err != nil {
			b.log.Warn("broker/amqp: local delivery failed", "dest", dest, "err", err)
		}
	}
}

// headersOf returns the STOMP headers a delivery carries.
func headersOf(d amqp.Delivery) frame.Header {
	var h frame.Header
	if kv, ok := d.Headers[hdrHeaders].([]any); ok {
		for i := 0; i+1 < len(kv); i += 2 {
			k, _ := kv[i].(string)
			v, _ := kv[i+1].(string)
			h.Add(k, v)
		}
	}
	return h
}

func isTopic(d string) bool {
	return strings.HasPrefix(d, broker.TopicPrefix) && !strings.Contains(d, broker.PrivateMark)
}

// Subscribe implements broker.Broker: the local broker takes s first,
// within its budgets (destinations, patterns), and only then does a
// topic's first local subscriber bind its key on the node's queue (bound
// again after a reconnect), so a refused subscription costs RabbitMQ
// nothing. It returns once the binding is in place.
func (b *Broker) Subscribe(ctx context.Context, s *broker.Subscription) error {
	if err := b.local.Subscribe(ctx, s); err != nil {
		return err
	}
	switch {
	case isTopic(s.Destination):
		b.bind(bindingKey(s.Destination))
	case isQueue(s.Destination):
		if err := b.subscribeQueue(s.Destination); err != nil {
			b.local.Unsubscribe(ctx, s)
			return err
		}
	}
	return nil
}

// Unsubscribe implements broker.Broker: a topic's last local subscriber
// unbinds its key.
func (b *Broker) Unsubscribe(ctx context.Context, s *broker.Subscription) error {
	err := b.local.Unsubscribe(ctx, s)
	switch {
	case isTopic(s.Destination):
		b.release(bindingKey(s.Destination))
	case isQueue(s.Destination):
		b.unsubscribeQueue(s.Destination)
	}
	return err
}

// bind counts one more need of key, binding it on the first.
func (b *Broker) bind(key string) {
	b.bindMu.Lock()
	defer b.bindMu.Unlock()
	if b.refs[key]++; b.refs[key] > 1 {
		return
	}
	if l := b.current(); l != nil {
		b.binds.Add(1)
		if err := l.sub.QueueBind(l.queue, key, b.cfg.Exchange, false, nil); err != nil {
			b.broken(l, "bind", err) // bound again on reconnect
		}
	}
}

func (b *Broker) release(key string) {
	b.bindMu.Lock()
	defer b.bindMu.Unlock()
	if b.refs[key]--; b.refs[key] > 0 {
		return
	}
	delete(b.refs, key)
	if l := b.current(); l != nil {
		if err := l.sub.QueueUnbind(l.queue, key, b.cfg.Exchange, nil); err != nil {
			b.broken(l, "unbind", err)
		}
	}
}

// Publish implements broker.Broker. A topic message goes to RabbitMQ and
// Publish returns once RabbitMQ confirmed it (or with ErrUnavailable);
// every node's subscribers, this one's included, get it from there.
func (b *Broker) Publish(ctx context.Context, m *broker.Message) error {
	if !broker.ValidDestination(m.Destination) {
		return fmt.Errorf("%w: %q", broker.ErrBadDestination, frame.Truncate(m.Destination))
	}
	if isQueue(m.Destination) {
		return b.publishQueue(ctx, m)
	}
	if !isTopic(m.Destination) {
		return b.local.Publish(ctx, m)
	}
	l := b.current()
	if l == nil {
		return fmt.Errorf("%w: not connected to RabbitMQ", broker.ErrUnavailable)
	}
	ctx, cancel := context.WithTimeout(ctx, b.cfg.PublishTimeout)
	defer cancel()
	dc, err := l.pub.PublishWithDeferredConfirmWithContext(ctx, b.cfg.Exchange, routingKey(m.Destination), false, false, amqp.Publishing{
		Headers:     amqp.Table{hdrDestination: m.Destination, hdrHeaders: headerTable(m.Header)},
		ContentType: m.Header.Get(frame.HdrContentType),
		Body:        m.Body,
	})
	if err != nil {
		return fmt.Errorf("%w: publish: %v", broker.ErrUnavailable, err)
	}
	ok, err := dc.WaitContext(ctx)
	if err != nil || !ok {
		return fmt.Errorf("%w: RabbitMQ did not confirm the message (%v)", broker.ErrUnavailable, err)
	}
	return nil
}

// PublishAll implements broker.Batcher: a session's private queue
// messages all or none in the local broker, then the messages for
// RabbitMQ (topics and shared queues) one by one, each confirmed. A
// transaction's messages through RabbitMQ are not atomic: if one is
// refused, those before it were sent, and the COMMIT gets the error.
func (b *Broker) PublishAll(ctx context.Context, ms []*broker.Message) error {
	var local, topics []*broker.Message
	for _, m := range ms {
		if isTopic(m.Destination) || isQueue(m.Destination) {
			topics = append(topics, m)
		} else {
			local = append(local, m)
		}
	}
	if len(topics) > 0 && b.current() == nil {
		return fmt.Errorf("%w: not connected to RabbitMQ", broker.ErrUnavailable)
	}
	if len(local) > 0 {
		if err := b.local.PublishAll(ctx, local); err != nil {
			return err
		}
	}
	for _, m := range topics {
		if err := b.Publish(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// Resume implements broker.Resumer for the local queues.
func (b *Broker) Resume(s *broker.Subscription) { b.local.Resume(s) }

// Requeue implements broker.Requeuer: a message that came from RabbitMQ
// goes back there (basic.nack with requeue), to this node or another;
// a private queue's goes back to the local queue.
func (b *Broker) Requeue(ctx context.Context, from *broker.Subscription, ms []*broker.Message) error {
	local := ms[:0:0]
	for _, m := range ms {
		if u, ok := m.Upstream.(*upstream); ok {
			u.nack()
		} else {
			local = append(local, m)
		}
	}
	return b.local.Requeue(ctx, from, local)
}

// Stats are the link's counters beside the local broker's.
type Stats struct {
	Healthy    bool
	Reconnects int64
	Bindings   int   // keys bound now
	BindCalls  int64 // queue.bind calls made, reconnects aside
	Queues     int   // /queue/ destinations consumed now
	// LateAcks counts ACKs of queue messages whose channel was gone and
	// Forgotten the queue messages held locally when their link was lost:
	// RabbitMQ delivers both again (at least once).
	LateAcks  int64
	Forgotten int64
	Local     broker.MemoryStats
}

// Stats returns the broker's counters.
func (b *Broker) Stats() Stats {
	return Stats{Healthy: b.Healthy(), Reconnects: b.reconnects.Load(), Bindings: b.bindings(), BindCalls: b.binds.Load(),
		Queues: int(b.nqueues.Load()), LateAcks: b.lateAcks.Load(), Forgotten: b.forgotten.Load(), Local: b.local.Stats()}
}

// Close disconnects from RabbitMQ for good.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	l := b.link
	b.mu.Unlock()
	close(b.done)
	var err error
	if l != nil {
		err = l.conn.Close()
	}
	b.wg.Wait()
	return err
}

// redact keeps a URL's password out of an error.
func redact(err error, raw string) error {
	u, perr := url.Parse(raw)
	if perr != nil {
		return err
	}
	if pw, ok := u.User.Password(); ok && pw != "" && strings.Contains(err.Error(), pw) {
		return errors.New(strings.ReplaceAll(err.Error(), pw, "xxxxx"))
	}
	return err
}

// userKey is the routing key of user's messages.
func userKey(user string) string {
	sum := sha256.Sum256([]byte(user))
	return "user." + hex.EncodeToString(sum[:16])
}

// OnUser implements broker.UserRouter; call it before any traffic.
func (b *Broker) OnUser(deliver func(user string, m *broker.Message)) { b.onUser = deliver }

// Online implements broker.UserRouter: the node binds user's key.
func (b *Broker) Online(user string) { b.bind(userKey(user)) }

// Offline implements broker.UserRouter.
func (b *Broker) Offline(user string) { b.release(userKey(user)) }

// PublishUser implements broker.UserRouter: m goes to every node with the
// user online, mandatory, so RabbitMQ says when no node has the user.
func (b *Broker) PublishUser(ctx context.Context, user string, m *broker.Message) (bool, error) {
	l := b.current()
	if l == nil {
		return false, fmt.Errorf("%w: not connected to RabbitMQ", broker.ErrUnavailable)
	}
	msgID := newMessageID()
	ctx, cancel := context.WithTimeout(ctx, b.cfg.PublishTimeout)
	defer cancel()
	dc, err := l.pub.PublishWithDeferredConfirmWithContext(ctx, b.cfg.Exchange, userKey(user), true, false, amqp.Publishing{
		Headers:   amqp.Table{hdrUser: user, hdrDestination: m.Destination, hdrHeaders: headerTable(m.Header)},
		MessageId: msgID,
		Body:      m.Body,
	})
	if err != nil {
		return false, fmt.Errorf("%w: publish: %v", broker.ErrUnavailable, err)
	}
	if ok, err := dc.WaitContext(ctx); err != nil || !ok {
		return false, fmt.Errorf("%w: RabbitMQ did not confirm the message (%v)", broker.ErrUnavailable, err)
	}
	return !b.wasReturned(l, msgID), nil
}

// newMessageID is a random id for a mandatory publish, to know its return.
func newMessageID() string {
	var id [16]byte
	crand.Read(id[:])
	return hex.EncodeToString(id[:])
}

// wasReturned reports whether RabbitMQ returned the mandatory message
// msgID as unroutable. Call it after the message's confirm: a return is
// handed to l.returns before the confirm is, so draining them all now
// finds it.
func (b *Broker) wasReturned(l *link, msgID string) bool {
	b.retMu.Lock()
	defer b.retMu.Unlock()
drain:
	for {
		select {
		case r, ok := <-l.returns:
			if !ok { // the channel closed with the link
				break drain
			}
			b.returned[r.MessageId] = true
		default:
			break drain
		}
	}
	if b.returned[msgID] {
		delete(b.returned, msgID)
		return true
	}
	if len(b.returned) > 10000 {
		// Returns whose publishers gave up before looking: forget them.
		clear(b.returned)
	}
	return false
}
