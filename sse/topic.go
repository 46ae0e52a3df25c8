package sse

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stompbox/stompbox/broker"
)

// An item is one message as every listener shares it: its number, its
// place in its topic's ring, and the encoded event after the id line.
// Never modified once in a ring.
type item struct {
	seq    uint64 // in the hub's sequence
	k      uint64 // the topic's k-th message
	pos    uint64 // its position in the Log, if logged
	logged bool
	data   []byte
}

// A topic is one destination the hub listens to: its broker
// subscription, its ring of recent messages, and its listeners.
type topic struct {
	h    *hub
	name string
	sub  broker.Subscription

	// Guarded by h.mu.
	ready chan struct{} // closed once Subscribe returned
	err   error         // why Subscribe failed
	live  bool          // subscribed in the broker
	dead  bool          // out of the hub: never subscribed, or unsubscribed
	since uint64        // a number given out after the subscription was live
	refs  int           // requests using it

	// Its Log (guarded by h.mu): logged once the Log said so, by Head or
	// by the position of a message; pos is the newest position the topic
	// knows of (from Head when subscribed, then from the messages), so
	// that every message after it reaches the topic after now.
	logged bool
	pos    mark

	// In the idle list while refs is 0 (guarded by h.mu).
	isIdle     bool
	idleAt     time.Time
	prev, next *topic

	// The ring: the last messages, the k-th in slot k%len(slots). Written
	// under h.mu; streams read the slots and counters without a lock.
	slots   []atomic.Pointer[item]
	first   uint64        // the oldest kept message (under h.mu)
	count   atomic.Uint64 // messages ever kept: the next one's k
	bytes   int           // of the kept messages (under h.mu)
	evicted atomic.Uint64 // number (seq) of the newest message dropped

	lmu       sync.Mutex                 // serialises changes to listeners
	listeners atomic.Pointer[[]listener] // copy on write
	queued    atomic.Bool                // waiting in the hub's wake queue
}

// A listener is a stream listening to a topic. floor is the topic's
// evicted number when the stream attached: what was dropped up to it is
// the stream's gap, not its fault.
type listener struct {
	st    *stream
	floor uint64
}

var _ broker.Subscriber = (*topic)(nil)

// Deliver implements broker.Subscriber. The message is encoded outside any
// lock; under the hub's lock it is only numbered and put in the ring, and
// the listeners are woken by the hub's waker, so a publisher's cost does
// not grow with the number of streams, and streams never hold it up.
func (t *topic) Deliver(_ *broker.Subscription, m *broker.Message) bool {
	it := &item{data: encodeMessage(m)}
	h := t.h
	if h.lg != nil {
		it.pos, it.logged = h.lg.Position(m)
	}
	h.mu.Lock()
	if t.dead {
		h.mu.Unlock()
		return true
	}
	if it.logged {
		t.logged = true
		t.pos = mark{pos: max(t.pos.pos, it.pos), known: true}
	}
	it.seq = h.next()
	t.keep(it, h.maxBytes)
	h.visible.Store(it.seq)
	h.mu.Unlock()
	if len(t.listening()) > 0 && t.queued.CompareAndSwap(false, true) {
		h.notify(t)
	}
	return true
}

// keep puts it in the ring, dropping the oldest messages past the ring's
// size or maxBytes (but never it). The caller holds h.mu.
func (t *topic) keep(it *item, maxBytes int) {
	size := uint64(len(t.slots))
	count := t.count.Load()
	for t.first < count && (count-t.first == size || t.bytes+len(it.data) > maxBytes) {
		slot := &t.slots[t.first%size]
		old := slot.Load()
		t.evicted.Store(old.seq)
		t.bytes -= len(old.data)
		slot.Store(nil)
		t.first++
	}
	it.k = count
	t.slots[count%size].Store(it)
	t.count.Store(count + 1) // after the slot: a reader that sees count sees it
	t.bytes += len(it.data)
}

// get returns the k-th message, or nil and whether it was dropped
// (otherwise it is not there yet). Safe without a lock.
func (t *topic) get(k uint64) (it *item, dropped bool) {
	// count first: if it is past k, the slot already held the k-th, so a
	// slot without it means it was dropped, not that it is on its way.
	count := t.count.Load()
	it = t.slots[k%uint64(len(t.slots))].Load()
	if it != nil && it.k == k {
		return it, false
	}
	return nil, k < count
}

// after returns the k of the oldest kept message numbered after seq (the
// next k if none is). The caller holds h.mu.
func (t *topic) after(seq uint64) uint64 {
	n := t.count.Load() - t.first
	i := sort.Search(int(n), func(i int) bool {
		return t.slots[(t.first+uint64(i))%uint64(len(t.slots))].Load().seq > seq
	})
	return t.first + uint64(i)
}

// listening returns the topic's listeners; the slice is never modified.
func (t *topic) listening() []listener {
	if p := t.listeners.Load(); p != nil {
		return *p
	}
	return nil
}

// listen adds l to the listeners.
func (t *topic) listen(l listener) {
	t.lmu.Lock()
	defer t.lmu.Unlock()
	old := t.listening()
	ls := make([]listener, len(old), len(old)+1)
	copy(ls, old)
	ls = append(ls, l)
	t.listeners.Store(&ls)
}

// unlisten removes st from the listeners.
func (t *topic) unlisten(st *stream) {
	t.lmu.Lock()
	defer t.lmu.Unlock()
	old := t.listening()
	ls := make([]listener, 0, len(old))
	for _, l := range old {
		if l.st != st {
			ls = append(ls, l)
		}
	}
	t.listeners.Store(&ls)
}

// wake tells each listener that the topic has news, and cuts off those
// that have lost messages they were not yet sent: a listener whose
// writer is stuck on its client cannot notice that itself. (A writer
// stores its cursor just after collecting, so one collecting the very
// message being dropped, exactly a ring behind, may be cut as well.)
func (t *topic) wake() {
	evicted := t.evicted.Load()
	for _, l := range t.listening() {
		if evicted > l.floor && evicted > l.st.cursor.Load() {
			l.st.cutOff()
			continue
		}
		l.st.signal()
	}
}
