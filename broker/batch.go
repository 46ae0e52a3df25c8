package broker

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// PublishAll implements Batcher: every message is routed, or none is. It
// locks every queue the batch touches (in name order, so two batches never
// wait on each other), checks each queue's budgets for all its messages at
// once and reserves the global bytes, then routes the messages in the
// order given. A message to a private queue whose session is gone fails
// the batch rather than being dropped.
func (b *Memory) PublishAll(_ context.Context, ms []*Message) error {
	var names []string
	for _, m := range ms {
		if !ValidDestination(m.Destination) {
			return fmt.Errorf("%w %q", ErrBadDestination, m.Destination)
		}
		if strings.HasPrefix(m.Destination, QueuePrefix) && !slices.Contains(names, m.Destination) {
			names = append(names, m.Destination)
		}
	}
	slices.Sort(names)
	locked := make(map[string]*destination, len(names))
	defer func() {
		for _, d := range locked {
			b.forgetIfEmpty(d)
			d.mu.Unlock()
		}
	}()
	for _, name := range names {
		var d *destination
		var err error
		if IsPrivate(name) {
			if d = b.dest(name); d != nil {
				d.mu.Lock()
				if d.dead || len(*d.subs.Load()) == 0 {
					d.mu.Unlock()
					d = nil
				}
			}
			if d == nil {
				return fmt.Errorf("%w %q: its session is gone", ErrBadDestination, name)
			}
		} else if d, err = b.lockDest(name); err != nil {
			return err
		}
		locked[name] = d
	}
	// Admit each queue's messages as a whole: the worst case is that none
	// finds a subscriber with room and all are held.
	var reserved int64
	for _, name := range names {
		var n int64
		count := 0
		for _, m := range ms {
			if m.Destination == name {
				n += m.Size()
				count++
			}
		}
		if err := b.admit(locked[name], n, count); err != nil {
			b.unadmit(reserved)
			return err
		}
		reserved += n
	}
	// Every queue message's bytes are reserved: a delivered one gives its
	// share back, a held one keeps it.
	for _, m := range ms {
		d := locked[m.Destination]
		switch {
		case d == nil:
			b.publishTopic(m, nil) // queue locks are held: no origin
		case len(d.held) == 0 && d.offer(m, nil):
			b.unadmit(m.Size())
		default:
			d.held = append(d.held, m)
			d.heldBytes += m.Size()
		}
	}
	return nil
}
