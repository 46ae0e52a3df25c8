package broker

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Memory is the in-memory broker. Its zero value is not usable; call
// NewMemory.
type Memory struct {
	mu    sync.RWMutex
	dests map[string]*destination
}

var _ Broker = (*Memory)(nil)

// destination holds one destination's subscriptions as a copy-on-write
// slice, so publishing reads it without a lock.
type destination struct {
	subs  atomic.Pointer[[]*Subscription]
	next  atomic.Uint64 // round-robin cursor for queues
	queue bool
}

// NewMemory returns an empty in-memory broker.
func NewMemory() *Memory {
	return &Memory{dests: make(map[string]*destination)}
}

// Subscribe implements Broker.
func (b *Memory) Subscribe(_ context.Context, s *Subscription) error {
	if !ValidDestination(s.Destination) {
		return fmt.Errorf("%w %q", ErrBadDestination, s.Destination)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	d := b.dests[s.Destination]
	if d == nil {
		d = &destination{queue: strings.HasPrefix(s.Destination, QueuePrefix)}
		d.subs.Store(&[]*Subscription{})
		b.dests[s.Destination] = d
	}
	old := *d.subs.Load()
	next := make([]*Subscription, len(old), len(old)+1)
	copy(next, old)
	next = append(next, s)
	d.subs.Store(&next)
	return nil
}

// Unsubscribe implements Broker.
func (b *Memory) Unsubscribe(_ context.Context, s *Subscription) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	d := b.dests[s.Destination]
	if d == nil {
		return nil
	}
	old := *d.subs.Load()
	i := slices.Index(old, s)
	if i < 0 {
		return nil
	}
	if len(old) == 1 {
		delete(b.dests, s.Destination)
		d.subs.Store(&[]*Subscription{})
		return nil
	}
	next := slices.Delete(slices.Clone(old), i, i+1)
	d.subs.Store(&next)
	return nil
}

// Publish implements Broker. A message to a destination nobody subscribes
// to is dropped.
func (b *Memory) Publish(_ context.Context, m *Message) error {
	if !ValidDestination(m.Destination) {
		return fmt.Errorf("%w %q", ErrBadDestination, m.Destination)
	}
	b.mu.RLock()
	d := b.dests[m.Destination]
	b.mu.RUnlock()
	if d == nil {
		return nil
	}
	subs := *d.subs.Load()
	if len(subs) == 0 {
		return nil
	}
	if d.queue {
		s := subs[(d.next.Add(1)-1)%uint64(len(subs))]
		s.Subscriber.Deliver(s, m)
		return nil
	}
	for _, s := range subs {
		s.Subscriber.Deliver(s, m)
	}
	return nil
}

// Subscriptions returns how many subscriptions destination d has.
func (b *Memory) Subscriptions(d string) int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if dd := b.dests[d]; dd != nil {
		return len(*dd.subs.Load())
	}
	return 0
}
