package sse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stompbox/stompbox/broker"
)

// The hub holds one broker subscription per destination that streams
// listen to, numbers every message it receives and keeps the last ones of
// each destination in a ring, from which streams pull them.
//
// hub.mu guards the numbering and the rings of all destinations: a
// message is numbered and put in its ring in one critical section, after
// which visible names it. A stream reads the rings without a lock, only
// messages numbered up to visible as it read it first, so when it sees
// number N it sees every smaller number of its destinations too. Each
// stream therefore gets its messages in increasing number even when it
// listens to several, and a resuming stream takes buffered and live
// messages from the same rings by number, with nothing lost or sent twice
// between them. A publisher holds hub.mu for O(1) and never waits for a
// stream: the waker, not the publisher, wakes the streams. No two of
// hub.mu, waker.mu, topic.lmu and stream.mu are ever held together.
// Broker and Log calls are made without hub.mu, or any other lock.
type hub struct {
	b          broker.Broker
	lg         Log // may be nil
	log        *slog.Logger
	epoch      string
	size       int // ring capacity per destination
	maxBytes   int // ring bytes per destination
	age        time.Duration
	maxIdle    int // MaxIdleTopics
	maxTopics  int
	errTopics  error // names MaxTopics
	maxStreams int
	errStreams error // names MaxStreams

	mu      sync.Mutex
	seq     uint64        // the last number given out
	visible atomic.Uint64 // seq, stored once what it numbers is in its ring
	topics  map[string]*topic
	closed  bool
	done    chan struct{} // closed by shutdown: streams end
	streams int           // streams being served
	busy    int           // streams, broker calls under way, the waker
	drained chan struct{} // closed once closed and busy is 0

	idles idleList
	waker waker
	slow  atomic.Uint64 // streams ended as slow consumers

	replays       chan struct{} // a slot per replay from the Log under way (MaxReplays)
	replayRefused atomic.Uint64 // replays turned into gaps for want of a slot
}

// next gives out the next number. The caller holds h.mu, and stores it in
// visible once it is in a ring.
func (h *hub) next() uint64 {
	h.seq++
	return h.seq
}

var errClosed = errors.New("sse: server closed")

func newHub(cfg *Config) *hub {
	return &hub{
		b: cfg.Broker, lg: cfg.Log, log: cfg.Logger, epoch: newEpoch(), replays: make(chan struct{}, cfg.MaxReplays),
		size: cfg.BufferSize, maxBytes: cfg.BufferBytes, age: cfg.BufferAge,
		maxIdle: cfg.MaxIdleTopics, maxTopics: cfg.MaxTopics,
		errTopics:  fmt.Errorf("sse: too many topics (MaxTopics %d)", cfg.MaxTopics),
		maxStreams: cfg.MaxStreams,
		errStreams: fmt.Errorf("sse: too many streams (MaxStreams %d)", cfg.MaxStreams),
		topics:     make(map[string]*topic), done: make(chan struct{}), drained: make(chan struct{}),
		waker: waker{kick: make(chan struct{}, 1)},
	}
}

// enterStream counts a stream in, unless the hub is closed (errClosed)
// or serves MaxStreams already (errStreams).
func (h *hub) enterStream() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return errClosed
	case h.streams >= h.maxStreams:
		return h.errStreams
	}
	h.streams++
	h.busy++
	return nil
}

func (h *hub) leaveStream() {
	h.mu.Lock()
	h.streams--
	h.leaveLocked()
	h.mu.Unlock()
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
		h.unidle(t)
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
	var room []*topic
	if len(h.topics) >= h.maxTopics {
		if h.idles.head == nil {
			h.mu.Unlock()
			return nil, h.errTopics
		}
		room = append(room, h.removeLocked(h.idles.head))
	}
	t = &topic{h: h, name: d, ready: make(chan struct{}), refs: 1, slots: make([]atomic.Pointer[item], h.size)}
	t.sub = broker.Subscription{ID: "sse", Destination: d, Subscriber: t}
	h.topics[d] = t
	h.busy++
	h.startWaker()
	h.mu.Unlock()
	h.drop(room)

	err := h.b.Subscribe(context.WithoutCancel(ctx), &t.sub)
	var head uint64
	logged := false
	if err == nil && h.lg != nil {
		// After Subscribe: every message logged after this read reaches t.
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), headTimeout)
		var herr error
		head, logged, herr = h.lg.Head(hctx, d)
		cancel()
		if herr != nil {
			h.log.Warn("sse: log head read failed; streams of it resume from this node only", "dest", d, "err", herr)
			logged = false
		}
	}

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
		if logged {
			t.logged = true
			t.pos = mark{pos: max(t.pos.pos, head), known: true}
		}
		// A number given out after Subscribe returned: every message to d
		// numbered after it has reached t.
		t.since = h.next()
		h.visible.Store(t.since)
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

// release lets go of topics; a topic nobody holds is kept idle for
// BufferAge, unless more than MaxIdleTopics are.
func (h *hub) release(topics []*topic) {
	h.mu.Lock()
	var drop []*topic
	for _, t := range topics {
		t.refs--
		if t.refs == 0 && !t.dead && !h.closed {
			drop = append(drop, h.idle(t)...)
		}
	}
	h.mu.Unlock()
	h.drop(drop)
}

func (h *hub) unsubscribe(t *topic) {
	if err := h.b.Unsubscribe(context.Background(), &t.sub); err != nil {
		h.log.Warn("sse: unsubscribe failed", "dest", t.name, "err", err)
	}
}

// shutdown closes the hub: streams end, every subscription is dropped. It
// waits for streams and broker calls to finish, or for ctx.
func (h *hub) shutdown(ctx context.Context) error {
	h.mu.Lock()
	var unsub []*topic
	if !h.closed {
		h.closed = true
		close(h.done)
		if h.idles.reaper != nil {
			h.idles.reaper.Stop()
		}
		h.idles = idleList{}
		for name, t := range h.topics {
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
