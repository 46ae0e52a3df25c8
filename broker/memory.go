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
type Memory struct {
	cfg   MemoryConfig
	mu    sync.RWMutex
	dests map[string]*destination

	// Pattern subscriptions (/topic/rooms.*), copy-on-write under mu.
	patterns atomic.Pointer[[]patternSub]
}

type patternSub struct {
	p *pattern.Pattern
	s *Subscription
}

var (
	_ Broker   = (*Memory)(nil)
	_ Requeuer = (*Memory)(nil)
)

// MemoryConfig configures the in-memory broker.
type MemoryConfig struct {
	// MaxHeld bounds the messages a queue holds while it has no
	// subscriber; a publish past it fails with ErrQueueFull. Default 10000.
	MaxHeld int
}

// destination holds one destination's subscriptions as a copy-on-write
// slice, so publishing to a topic reads it without a lock. A queue
// serializes its dispatch under mu, which also guards held.
type destination struct {
	subs  atomic.Pointer[[]*Subscription]
	queue bool

	mu   sync.Mutex
	next uint64     // round-robin cursor
	held []*Message // queue messages waiting for a subscriber
	dead bool       // removed from the broker: look it up again
}

// NewMemory returns an empty in-memory broker with default settings.
func NewMemory() *Memory { return NewMemoryConfig(MemoryConfig{}) }

// NewMemoryConfig returns an empty in-memory broker configured by cfg.
func NewMemoryConfig(cfg MemoryConfig) *Memory {
	if cfg.MaxHeld <= 0 {
		cfg.MaxHeld = 10000
	}
	b := &Memory{cfg: cfg, dests: make(map[string]*destination)}
	b.patterns.Store(&[]patternSub{})
	return b
}

// dest returns the destination named d, creating it when create is set.
func (b *Memory) dest(d string, create bool) *destination {
	b.mu.RLock()
	dd := b.dests[d]
	b.mu.RUnlock()
	if dd != nil || !create {
		return dd
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if dd = b.dests[d]; dd == nil {
		dd = &destination{queue: strings.HasPrefix(d, QueuePrefix)}
		dd.subs.Store(&[]*Subscription{})
		b.dests[d] = dd
	}
	return dd
}

// Subscribe implements Broker. A queue's held messages go to its
// subscribers as soon as it has one. A topic subscription may be a pattern
// (see package pattern); it then receives every topic message whose
// destination matches, except private ones (holding PrivateMark).
func (b *Memory) Subscribe(_ context.Context, s *Subscription) error {
	if pattern.HasWildcard(s.Destination) {
		return b.subscribePattern(s)
	}
	if !ValidDestination(s.Destination) {
		return fmt.Errorf("%w %q", ErrBadDestination, s.Destination)
	}
	d := b.lockDest(s.Destination)
	defer d.mu.Unlock()
	old := *d.subs.Load()
	next := make([]*Subscription, len(old), len(old)+1)
	copy(next, old)
	next = append(next, s)
	d.subs.Store(&next)
	if d.queue {
		held := d.held
		d.held = nil
		for i, m := range held {
			if !d.dispatch(m, nil) {
				d.held = append(d.held, held[i:]...)
				break
			}
		}
	}
	return nil
}

func (b *Memory) subscribePattern(s *Subscription) error {
	if !strings.HasPrefix(s.Destination, TopicPrefix) {
		return fmt.Errorf("%w %q: only /topic/ destinations take patterns", ErrBadDestination, s.Destination)
	}
	p, err := pattern.Parse(s.Destination)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadDestination, err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	next := append(slices.Clone(*b.patterns.Load()), patternSub{p: p, s: s})
	b.patterns.Store(&next)
	return nil
}

// Unsubscribe implements Broker.
func (b *Memory) Unsubscribe(_ context.Context, s *Subscription) error {
	if pattern.HasWildcard(s.Destination) {
		b.mu.Lock()
		defer b.mu.Unlock()
		next := slices.DeleteFunc(slices.Clone(*b.patterns.Load()), func(ps patternSub) bool { return ps.s == s })
		b.patterns.Store(&next)
		return nil
	}
	d := b.dest(s.Destination, false)
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
	if len(next) == 0 && len(d.held) == 0 {
		// Forget the destination, so that many short-lived ones (one per
		// user or room) do not pile up. Lock order: d.mu, then b.mu.
		d.dead = true
		b.mu.Lock()
		if b.dests[s.Destination] == d {
			delete(b.dests, s.Destination)
		}
		b.mu.Unlock()
	}
	return nil
}

// lockDest returns destination name, created if need be, with its lock
// held and not removed.
func (b *Memory) lockDest(name string) *destination {
	for {
		d := b.dest(name, true)
		d.mu.Lock()
		if !d.dead {
			return d
		}
		d.mu.Unlock()
	}
}

// Publish implements Broker. A topic message nobody subscribes to is
// dropped; a queue message is held until a subscriber comes, up to
// MaxHeld.
func (b *Memory) Publish(_ context.Context, m *Message) error {
	if !ValidDestination(m.Destination) {
		return fmt.Errorf("%w %q", ErrBadDestination, m.Destination)
	}
	if !strings.HasPrefix(m.Destination, QueuePrefix) {
		if d := b.dest(m.Destination, false); d != nil {
			for _, s := range *d.subs.Load() {
				s.Subscriber.Deliver(s, m)
			}
		}
		if ps := *b.patterns.Load(); len(ps) > 0 && !IsPrivate(m.Destination) {
			segs, _ := pattern.Split(m.Destination) // once, for every pattern
			for _, p := range ps {
				if p.p.MatchSplit(segs) {
					p.s.Subscriber.Deliver(p.s, m)
				}
			}
		}
		return nil
	}
	if IsPrivate(m.Destination) {
		return b.publishPrivate(m)
	}
	d := b.lockDest(m.Destination)
	defer d.mu.Unlock()
	if d.dispatch(m, nil) {
		return nil
	}
	return d.hold(m, b.cfg.MaxHeld, false)
}

// publishPrivate delivers to a session's private queue, or drops the
// message when the session is no longer subscribed: nobody else will ever
// subscribe to it, so holding it would only leak.
func (b *Memory) publishPrivate(m *Message) error {
	d := b.dest(m.Destination, false)
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.dead {
		d.dispatch(m, nil)
	}
	return nil
}

// Requeue implements Requeuer: a queue message goes to another subscriber
// if there is one, else back to the same one if it is still subscribed,
// else it is held at the front of the queue. Topic messages are dropped.
func (b *Memory) Requeue(ctx context.Context, from *Subscription, ms []*Message) error {
	for _, m := range ms {
		if err := b.requeue(ctx, from, m); err != nil {
			return err
		}
	}
	return nil
}

func (b *Memory) requeue(_ context.Context, from *Subscription, m *Message) error {
	if !strings.HasPrefix(m.Destination, QueuePrefix) {
		return nil
	}
	if !m.Redelivered {
		m = m.Redelivery()
	}
	if IsPrivate(m.Destination) {
		return b.publishPrivate(m)
	}
	d := b.lockDest(m.Destination)
	defer d.mu.Unlock()
	if d.dispatch(m, from) || d.dispatch(m, nil) {
		return nil
	}
	return d.hold(m, b.cfg.MaxHeld, true)
}

// dispatch hands m to the next subscriber in turn, other than skip, and
// reports whether there was one. d.mu must be held.
func (d *destination) dispatch(m *Message, skip *Subscription) bool {
	subs := *d.subs.Load()
	for range subs {
		s := subs[d.next%uint64(len(subs))]
		d.next++
		if s != skip && s.Subscriber.Deliver(s, m) {
			return true
		}
	}
	return false
}

// hold keeps m for a later subscriber. A requeued message goes first and
// may exceed max: it was accepted once already. d.mu must be held.
func (d *destination) hold(m *Message, max int, front bool) error {
	if front {
		d.held = slices.Insert(d.held, 0, m)
		return nil
	}
	if len(d.held) >= max {
		return fmt.Errorf("%w: %s holds %d messages", ErrQueueFull, m.Destination, max)
	}
	d.held = append(d.held, m)
	return nil
}

// Subscriptions returns how many subscriptions destination d has.
func (b *Memory) Subscriptions(d string) int {
	if dd := b.dest(d, false); dd != nil {
		return len(*dd.subs.Load())
	}
	return 0
}

// Held returns how many messages queue d holds for want of a subscriber.
func (b *Memory) Held(d string) int {
	dd := b.dest(d, false)
	if dd == nil {
		return 0
	}
	dd.mu.Lock()
	defer dd.mu.Unlock()
	return len(dd.held)
}
