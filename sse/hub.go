package sse

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/stompbox/stompbox/broker"
)

// The hub holds one broker subscription per destination that streams
// listen to, numbers every message it receives, keeps the last ones of
// each destination for resuming streams, and fans them out.
//
// Everything below is guarded by hub.mu, one lock for all destinations: a
// message is numbered, buffered and queued to every listener in one
// critical section, so each stream receives its messages in increasing
// number even when it listens to several destinations, and a stream
// attaches to all its destinations and takes their buffered messages at
// one point in that order (nothing between buffered and live is lost or
// sent twice). Lock order: hub.mu, then stream.mu. Broker calls are made
// without hub.mu.
type hub struct {
	b        broker.Broker
	log      *slog.Logger
	epoch    string
	size     int // ring capacity per destination
	maxBytes int // ring bytes per destination
	age      time.Duration

	mu      sync.Mutex
	seq     uint64 // the last number given out
	topics  map[string]*topic
	closed  bool
	done    chan struct{} // closed by shutdown: streams end
	busy    int           // streams being served and broker calls under way
	drained chan struct{} // closed once closed and busy is 0
}

// A topic is one destination the hub listens to.
type topic struct {
	h    *hub
	name string
	sub  broker.Subscription

	ready chan struct{} // closed once Subscribe returned
	err   error         // why Subscribe failed
	live  bool          // subscribed in the broker
	dead  bool          // out of the hub: never subscribed, or unsubscribed
	since uint64        // a number given out after the subscription was live
	refs  int           // requests using it
	idle  *time.Timer   // unsubscribes it BufferAge after refs fell to 0

	ring      []item // the last messages, oldest at head
	head, n   int
	bytes     int
	evicted   uint64 // number of the newest message dropped from ring
	listeners []*stream
}

var errClosed = errors.New("sse: server closed")

func newHub(cfg *Config) *hub {
	return &hub{
		b: cfg.Broker, log: cfg.Logger, epoch: newEpoch(),
		size: cfg.BufferSize, maxBytes: cfg.BufferBytes, age: cfg.BufferAge,
		topics: make(map[string]*topic), done: make(chan struct{}), drained: make(chan struct{}),
	}
}

// enter counts a stream or broker call in, unless the hub is closed.
func (h *hub) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.busy++
	return true
}

func (h *hub) leave() {
	h.mu.Lock()
	h.leaveLocked()
	h.mu.Unlock()
}

func (h *hub) leaveLocked() {
	h.busy--
	if h.closed && h.busy == 0 {
		close(h.drained)
	}
}

// Deliver implements broker.Subscriber: the message is encoded outside the
// lock, then numbered, buffered and queued to the listeners.
func (t *topic) Deliver(_ *broker.Subscription, m *broker.Message) bool {
	data := encodeMessage(m)
	h := t.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if t.dead {
		return true
	}
	h.seq++
	it := item{seq: h.seq, data: data}
	t.keep(it, h.size, h.maxBytes)
	for _, st := range t.listeners {
		st.push(it)
	}
	return true
}

// keep adds it to the ring, dropping the oldest messages past size or
// maxBytes (but never it).
func (t *topic) keep(it item, size, maxBytes int) {
	if t.ring == nil {
		t.ring = make([]item, size)
	}
	for t.n > 0 && (t.n == len(t.ring) || t.bytes+len(it.data) > maxBytes) {
		old := &t.ring[t.head]
		t.evicted, t.bytes = old.seq, t.bytes-len(old.data)
		*old = item{}
		t.head, t.n = (t.head+1)%len(t.ring), t.n-1
	}
	t.ring[(t.head+t.n)%len(t.ring)] = it
	t.n++
	t.bytes += len(it.data)
}

// appendAfter appends the buffered messages numbered after seq, oldest
// first.
func (t *topic) appendAfter(dst []item, seq uint64) []item {
	for i := range t.n {
		if it := t.ring[(t.head+i)%len(t.ring)]; it.seq > seq {
			dst = append(dst, it)
		}
	}
	return dst
}

// acquire returns the topics of dests, each subscribed in the broker and
// held for the caller until release. On error it holds none.
func (h *hub) acquire(ctx context.Context, dests []string) ([]*topic, error) {
	topics := make([]*topic, 0, len(dests))
	for _, d := range dests {
		t, err := h.acquireOne(ctx, d)
		if t != nil {
			topics = append(topics, t)
		}
		if err != nil {
			h.release(topics)
			return nil, err
		}
	}
	return topics, nil
}

// acquireOne holds destination d's topic, subscribing to it if it is new,
// and waits until it is subscribed. The topic is returned, held, even
// with an error.
func (h *hub) acquireOne(ctx context.Context, d string) (*topic, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, errClosed
	}
	t := h.topics[d]
	if t != nil {
		t.refs++
		if t.idle != nil {
			t.idle.Stop()
			t.idle = nil
		}
		h.mu.Unlock()
		select {
		case <-t.ready:
			return t, t.err
		case <-ctx.Done():
			return t, ctx.Err()
		case <-h.done:
			return t, errClosed
		}
	}
	t = &topic{h: h, name: d, ready: make(chan struct{}), refs: 1}
	t.sub = broker.Subscription{ID: "sse", Destination: d, Subscriber: t}
	h.topics[d] = t
	h.busy++
	h.mu.Unlock()

	err := h.b.Subscribe(context.WithoutCancel(ctx), &t.sub)

	h.mu.Lock()
	undo := err == nil && t.dead // shut down while subscribing
	switch {
	case undo:
		err = errClosed
	case err != nil:
		t.dead = true
		if h.topics[d] == t {
			delete(h.topics, d)
		}
	default:
		t.live = true
		// A number given out after Subscribe returned: every message to d
		// numbered after it has reached t.
		h.seq++
		t.since = h.seq
	}
	t.err = err
	close(t.ready)
	h.mu.Unlock()
	if undo {
		h.unsubscribe(t)
	}
	h.leave()
	return t, err
}

// release lets go of topics; a topic nobody holds is unsubscribed after
// BufferAge.
func (h *hub) release(topics []*topic) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, t := range topics {
		t.refs--
		if t.refs == 0 && !t.dead && !h.closed {
			t.idle = time.AfterFunc(h.age, func() { h.expire(t) })
		}
	}
}

// expire unsubscribes t if nobody has taken it up again.
func (h *hub) expire(t *topic) {
	h.mu.Lock()
	if t.refs > 0 || t.dead || h.closed {
		h.mu.Unlock()
		return
	}
	t.dead = true
	t.idle = nil
	delete(h.topics, t.name)
	h.busy++
	h.mu.Unlock()
	h.unsubscribe(t)
	h.leave()
}

func (h *hub) unsubscribe(t *topic) {
	if err := h.b.Unsubscribe(context.Background(), &t.sub); err != nil {
		h.log.Warn("sse: unsubscribe failed", "dest", t.name, "err", err)
	}
}

// attach makes st a listener of topics and queues its opening: the retry
// field, a gap event for each destination whose messages after lastID are
// not all buffered, the buffered ones after lastID in order, and an id
// line naming the point from which st receives live messages. Without
// resume, only the retry field and the id line. It reports false if the
// hub is closed.
func (h *hub) attach(st *stream, topics []*topic, lastID string, resume bool) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	st.pushRaw(retryField)
	last, ok := parseID(lastID, h.epoch)
	if last > h.seq {
		ok = false // from the future: not ours
	}
	if !ok {
		last = 0
	}
	var replay []item
	for _, t := range topics {
		t.listeners = append(t.listeners, st)
		if !resume {
			continue
		}
		if !ok || last < t.since || t.evicted > last {
			st.pushRaw(encodeGap(t.name, lastID))
		}
		replay = t.appendAfter(replay, last)
	}
	slices.SortFunc(replay, func(a, b item) int { return cmp.Compare(a.seq, b.seq) })
	for _, it := range replay {
		st.pushReplay(it)
	}
	st.pushRaw(append(appendID(nil, h.epoch, h.seq), '\n'))
	return true
}

var retryField = []byte("retry: " + strconv.Itoa(retryMillis) + "\n\n")

// detach removes st from topics' listeners and releases them.
func (h *hub) detach(st *stream, topics []*topic) {
	h.mu.Lock()
	for _, t := range topics {
		if i := slices.Index(t.listeners, st); i >= 0 {
			t.listeners = slices.Delete(t.listeners, i, i+1)
		}
	}
	h.mu.Unlock()
	h.release(topics)
}

// shutdown closes the hub: streams end, every subscription is dropped. It
// waits for streams and broker calls to finish, or for ctx.
func (h *hub) shutdown(ctx context.Context) error {
	h.mu.Lock()
	var unsub []*topic
	if !h.closed {
		h.closed = true
		close(h.done)
		for name, t := range h.topics {
			if t.idle != nil {
				t.idle.Stop()
				t.idle = nil
			}
			t.dead = true
			if t.live {
				unsub = append(unsub, t)
			}
			delete(h.topics, name)
		}
		if h.busy == 0 {
			close(h.drained)
		}
	}
	h.mu.Unlock()
	for _, t := range unsub {
		h.unsubscribe(t)
	}
	select {
	case <-h.drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
