package broker

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// A queue destination gives each message to one subscriber, round-robin
// among those with room. A subscriber that refuses a message (it is closing,
// or its prefetch or byte budget is spent) is marked full and skipped until
// it calls Resume; the message goes to the next one. What nobody takes is
// held, oldest first, and offered again, in order, whenever a subscriber
// joins or resumes. So a queue never pushes more into a consumer than the
// consumer's budget allows, and a deep backlog waits in the broker.

// enqueue offers m, or holds it behind older held messages so order is
// kept, if the budgets allow. d.mu must be held.
func (b *Memory) enqueue(d *destination, m *Message) error {
	if len(d.held) == 0 && d.offer(m, nil) {
		return nil
	}
	if err := b.admit(d, m.Size(), 1); err != nil {
		return err
	}
	d.held = append(d.held, m)
	d.heldBytes += m.Size()
	return nil
}

// offer hands m to the next subscriber in turn that takes it, other than
// skip and the full ones, and reports whether one did. d.mu must be held.
func (d *destination) offer(m *Message, skip *Subscription) bool {
	subs := *d.subs.Load()
	for range subs {
		s := subs[d.next%uint64(len(subs))]
		d.next++
		if s == skip || d.full[s] {
			continue
		}
		if s.Subscriber.Deliver(s, m) {
			return true
		}
		if d.full == nil {
			d.full = make(map[*Subscription]bool)
		}
		d.full[s] = true
	}
	return false
}

// pump offers held messages, oldest first, until none is left or nobody
// has room. d.mu must be held.
func (b *Memory) pump(d *destination) {
	i := 0
	for ; i < len(d.held) && d.offer(d.held[i], nil); i++ {
		n := d.held[i].Size()
		d.heldBytes -= n
		b.unadmit(n)
	}
	if i > 0 {
		clear(d.held[:i])
		d.held = d.held[i:]
		if len(d.held) == 0 {
			d.held = nil // let the backing array go
		}
	}
}

// admit reserves n bytes for count more messages in d, within every
// budget, or says which budget they would exceed. Bytes are reserved
// against the global budget before any is kept; unadmit gives them back.
// d.mu must be held.
func (b *Memory) admit(d *destination, n int64, count int) error {
	c := &b.cfg
	switch {
	case len(d.held)+count > c.MaxHeld:
		b.counters.refusedFull.Add(1)
		return fmt.Errorf("%w: %s holds %d messages (MaxHeld)", ErrQueueFull, d.name, c.MaxHeld)
	case d.heldBytes+n > c.MaxQueueBytes:
		b.counters.refusedFull.Add(1)
		return fmt.Errorf("%w: %s would hold more than %d bytes (MaxQueueBytes)", ErrQueueFull, d.name, c.MaxQueueBytes)
	}
	if b.heldBytes.Add(n) > c.MaxBytes {
		b.heldBytes.Add(-n)
		b.counters.refusedFull.Add(1)
		return fmt.Errorf("%w: all queues would hold more than %d bytes (MaxBytes)", ErrQueueFull, c.MaxBytes)
	}
	return nil
}

func (b *Memory) unadmit(n int64) { b.heldBytes.Add(-n) }

// Requeue implements Requeuer: queue messages go to subscribers other than
// from if they have room, else back to from, else they are held at the
// front of their queue, ahead of newer messages, in the order given. They
// were accepted once, so they may take a queue past its budgets; private
// ones whose session is gone are dropped and counted. Topic messages are
// ignored.
func (b *Memory) Requeue(_ context.Context, from *Subscription, ms []*Message) error {
	for len(ms) > 0 {
		// One queue at a time, keeping the order within each.
		name := ms[0].Destination
		var group, rest []*Message
		for _, m := range ms {
			if m.Destination == name {
				group = append(group, m)
			} else {
				rest = append(rest, m)
			}
		}
		ms = rest
		if !strings.HasPrefix(name, QueuePrefix) {
			continue
		}
		if err := b.requeue(name, from, group); err != nil {
			return err
		}
	}
	return nil
}

func (b *Memory) requeue(name string, from *Subscription, ms []*Message) error {
	for i, m := range ms {
		if !m.Redelivered {
			ms[i] = m.Redelivery()
		}
	}
	var d *destination
	if IsPrivate(name) {
		if d = b.dest(name); d == nil {
			b.counters.privateDropped.Add(uint64(len(ms)))
			return nil
		}
		d.mu.Lock()
		if d.dead {
			d.mu.Unlock()
			b.counters.privateDropped.Add(uint64(len(ms)))
			return nil
		}
	} else {
		var err error
		if d, err = b.lockDest(name); err != nil {
			return err
		}
	}
	defer d.mu.Unlock()
	b.counters.requeued.Add(uint64(len(ms)))
	i := 0
	if len(d.held) == 0 {
		for ; i < len(ms) && (d.offer(ms[i], from) || d.offer(ms[i], nil)); i++ {
		}
	}
	if i == len(ms) {
		return nil
	}
	var n int64
	for _, m := range ms[i:] {
		n += m.Size()
	}
	b.heldBytes.Add(n)
	d.heldBytes += n
	d.held = slices.Insert(d.held, 0, ms[i:]...)
	return nil
}

// TakeHeld removes from queue d, and returns oldest first, the held
// messages take selects: those no subscriber has taken yet. A broker that
// feeds d from upstream takes back what it must return there when it stops.
func (b *Memory) TakeHeld(d string, take func(*Message) bool) []*Message {
	dd := b.dest(d)
	if dd == nil {
		return nil
	}
	dd.mu.Lock()
	defer dd.mu.Unlock()
	var out []*Message
	kept := dd.held[:0]
	for _, m := range dd.held {
		if take(m) {
			out = append(out, m)
			dd.heldBytes -= m.Size()
			b.unadmit(m.Size())
		} else {
			kept = append(kept, m)
		}
	}
	clear(dd.held[len(kept):])
	dd.held = kept
	if len(dd.held) == 0 {
		dd.held = nil
	}
	b.forgetIfEmpty(dd)
	return out
}

// Resume implements Resumer: s has room again, so held messages are offered
// to it (and to the others with room) in order.
func (b *Memory) Resume(s *Subscription) {
	d := b.dest(s.Destination)
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dead || !d.full[s] {
		return
	}
	delete(d.full, s)
	b.pump(d)
}
