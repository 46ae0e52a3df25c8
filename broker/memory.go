package broker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stompbox/stompbox/pattern"
)

// Memory is the in-memory broker. Its zero value is not usable; call
// NewMemory.
//
// Lock order: a destination's mu, then Memory.mu (never the reverse);
// Memory.pmu alone. Subscribers are called with one or more destination
// locks held (PublishAll locks its queues in name order) and must not call
// the broker.
type Memory struct {
	cfg MemoryConfig
	mu  sync.RWMutex
	// dests holds every destination with a subscription or held messages.
	dests map[string]*destination

	pmu      sync.RWMutex
	patterns patternIndex // topic pattern subscriptions (/topic/rooms.*)

	heldBytes atomic.Int64 // bytes held by all queues
	counters  memoryCounters
}

var (
	_ Broker   = (*Memory)(nil)
	_ Requeuer = (*Memory)(nil)
	_ Resumer  = (*Memory)(nil)
	_ Batcher  = (*Memory)(nil)
)

// MemoryConfig configures the in-memory broker. Every budget is checked
// before a message is kept; a publish past one fails with an error wrapping
// ErrQueueFull (or ErrTooManyDestinations, ErrTooManyPatterns) that names
// the budget.
type MemoryConfig struct {
	// MaxHeld bounds the messages one queue holds for want of a subscriber
	// with room. Default 10000.
	MaxHeld int
	// MaxQueueBytes bounds the bytes one queue holds (as Message.Size
	// counts them). Default 64 MiB.
	MaxQueueBytes int64
	// MaxBytes bounds the bytes all queues hold together. Default 1 GiB.
	MaxBytes int64
	// MaxDestinations bounds the destinations the broker knows at once
	// (each with a subscription or held messages). Default 100000.
	MaxDestinations int
	// MaxPatterns bounds the pattern subscriptions (/topic/rooms.*) of all
	// subscribers together. Default 100000.
	MaxPatterns int
}

// Default budgets of the memory broker.
const (
	DefaultMaxHeld         = 10000
	DefaultMaxQueueBytes   = 64 << 20
	DefaultMaxBytes        = 1 << 30
	DefaultMaxDestinations = 100000
	DefaultMaxPatterns     = 100000
)

func (c *MemoryConfig) setDefaults() {
	if c.MaxHeld <= 0 {
		c.MaxHeld = DefaultMaxHeld
	}
	if c.MaxQueueBytes <= 0 {
		c.MaxQueueBytes = DefaultMaxQueueBytes
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxDestinations <= 0 {
		c.MaxDestinations = DefaultMaxDestinations
	}
	if c.MaxPatterns <= 0 {
		c.MaxPatterns = DefaultMaxPatterns
	}
}

// destination holds one destination's subscriptions as a copy-on-write
// slice, so publishing to a topic reads it without a lock. A queue
// serializes its dispatch under mu, which also guards the rest.
type destination struct {
	name  string
	subs  atomic.Pointer[[]*Subscription]
	queue bool

	mu        sync.Mutex
	next      uint64                 // round-robin cursor
	held      []*Message             // queue messages waiting for a subscriber with room, oldest first
	heldBytes int64                  // their Size
	full      map[*Subscription]bool // subscribers that refused and have not resumed
	dead      bool                   // removed from the broker: look it up again
}

// NewMemory returns an empty in-memory broker with default settings.
func NewMemory() *Memory { return NewMemoryConfig(MemoryConfig{}) }

// NewMemoryConfig returns an empty in-memory broker configured by cfg.
func NewMemoryConfig(cfg MemoryConfig) *Memory {
	cfg.setDefaults()
	return &Memory{cfg: cfg, dests: make(map[string]*destination)}
}

// dest returns the destination named d, or nil.
func (b *Memory) dest(d string) *destination {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.dests[d]
}

// lockDest returns destination name with its lock held, created if need
// be (within MaxDestinations) and not removed.
func (b *Memory) lockDest(name string) (*destination, error) {
	for {
		d := b.dest(name)
		if d == nil {
			var err error
			if d, err = b.create(name); err != nil {
				return nil, err
			}
		}
		d.mu.Lock()
		if !d.dead {
			return d, nil
		}
		d.mu.Unlock()
	}
}

func (b *Memory) create(name string) (*destination, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if d := b.dests[name]; d != nil {
		return d, nil
	}
	if len(b.dests) >= b.cfg.MaxDestinations {
		b.counters.refusedDestinations.Add(1)
		return nil, fmt.Errorf("%w: the broker holds %d destinations (MaxDestinations)", ErrTooManyDestinations, b.cfg.MaxDestinations)
	}
	d := &destination{name: name, queue: strings.HasPrefix(name, QueuePrefix)}
	d.subs.Store(&[]*Subscription{})
	b.dests[name] = d
	return d, nil
}

// forgetIfEmpty removes d once it has neither subscribers nor held
// messages, so that many short-lived destinations (one per user or room)
// do not pile up. d.mu must be held.
func (b *Memory) forgetIfEmpty(d *destination) {
	if len(*d.subs.Load()) > 0 || len(d.held) > 0 {
		return
	}
	d.dead = true
	b.mu.Lock()
	if b.dests[d.name] == d {
		delete(b.dests, d.name)
	}
	b.mu.Unlock()
}

// Subscribe implements Broker. A queue's held messages go to its
// subscribers as soon as one has room. A topic subscription may be a
// pattern (see package pattern); it then receives every topic message whose
// destination matches, except private ones (holding PrivateMark).
func (b *Memory) Subscribe(_ context.Context, s *Subscription) error {
	if pattern.HasWildcard(s.Destination) {
		return b.subscribePattern(s)
	}
	if !ValidDestination(s.Destination) {
		return fmt.Errorf("%w %q", ErrBadDestination, s.Destination)
	}
	d, err := b.lockDest(s.Destination)
	if err != nil {
		return err
	}
	defer d.mu.Unlock()
	// Appending in place is safe for publishers that loaded an earlier
	// slice: they read no further than their own length, and writers, who
	// hold d.mu, only write past the current one (Unsubscribe copies).
	// So n subscribers cost amortized O(n), not O(n²) in copies.
	next := append(*d.subs.Load(), s)
	d.subs.Store(&next)
	if d.queue {
		b.pump(d)
	}
	return nil
}

// Unsubscribe implements Broker. What s was given and did not acknowledge
// is the subscriber's to give back (Requeue).
func (b *Memory) Unsubscribe(_ context.Context, s *Subscription) error {
	if pattern.HasWildcard(s.Destination) {
		b.unsubscribePattern(s)
		return nil
	}
	d := b.dest(s.Destination)
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	old := *d.subs.Load()
	i := slices.Index(old, s)
	if i < 0 {
		return nil
	}
	next := slices.Delete(slices.Clone(old), i, i+1)
	d.subs.Store(&next)
	delete(d.full, s)
	b.forgetIfEmpty(d)
	return nil
}

// Publish implements Broker. A topic message goes to the subscribers of
// that moment, none included. A queue message goes to one subscriber with
// room or is held, oldest first, within the budgets; past one, Publish
// fails with an error wrapping ErrQueueFull and nothing is kept. A message
// to a private queue whose session is gone is dropped and counted.
func (b *Memory) Publish(ctx context.Context, m *Message) error {
	if !ValidDestination(m.Destination) {
		return fmt.Errorf("%w %q", ErrBadDestination, m.Destination)
	}
	if !strings.HasPrefix(m.Destination, QueuePrefix) {
		b.publishTopic(m, ctx.Value(OriginKey{}))
		return nil
	}
	if IsPrivate(m.Destination) {
		return b.publishPrivate(m)
	}
	d, err := b.lockDest(m.Destination)
	if err != nil {
		return err
	}
	defer d.mu.Unlock()
	if err := b.enqueue(d, m); err != nil {
		b.forgetIfEmpty(d)
		return err
	}
	return nil
}

// publishTopic hands m to every subscriber of its destination and every
// matching pattern subscription. The destination's own subscribers see
// origin (Message.Origin) as no broker lock is held while they are called;
// pattern subscribers, called under the pattern index's lock, do not.
func (b *Memory) publishTopic(m *Message, origin any) {
	if d := b.dest(m.Destination); d != nil {
		m.origin = origin
		for _, s := range *d.subs.Load() {
			s.Subscriber.Deliver(s, m)
		}
		m.origin = nil
	}
	if !IsPrivate(m.Destination) {
		b.matchPatterns(m)
	}
}

// publishPrivate delivers to a session's private queue, or drops the
// message when the session is no longer subscribed: nobody else will ever
// subscribe to it, so holding it would only leak.
func (b *Memory) publishPrivate(m *Message) error {
	d := b.dest(m.Destination)
	if d != nil {
		d.mu.Lock()
		defer d.mu.Unlock()
	}
	if d == nil || d.dead || len(*d.subs.Load()) == 0 {
		b.counters.privateDropped.Add(1)
		return nil
	}
	return b.enqueue(d, m)
}

// Subscriptions returns how many subscriptions destination d has.
func (b *Memory) Subscriptions(d string) int {
	if dd := b.dest(d); dd != nil {
		return len(*dd.subs.Load())
	}
	return 0
}

// Held returns how many messages queue d holds for want of a subscriber
// with room.
func (b *Memory) Held(d string) int {
	dd := b.dest(d)
	if dd == nil {
		return 0
	}
	dd.mu.Lock()
	defer dd.mu.Unlock()
	return len(dd.held)
}
