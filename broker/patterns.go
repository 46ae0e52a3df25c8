package broker

import (
	"fmt"
	"strings"

	"github.com/stompbox/stompbox/pattern"
)

// patternIndex holds the topic pattern subscriptions, indexed by segment so
// that a publish costs what matches it, not what is subscribed. Guarded by
// Memory.pmu.
type patternIndex struct {
	idx    pattern.Index[*Subscription]
	parsed map[*Subscription]*pattern.Pattern
}

func (b *Memory) subscribePattern(s *Subscription) error {
	if !strings.HasPrefix(s.Destination, TopicPrefix) {
		return fmt.Errorf("%w %q: only /topic/ destinations take patterns", ErrBadDestination, s.Destination)
	}
	p, err := pattern.Parse(s.Destination)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadDestination, err)
	}
	b.pmu.Lock()
	defer b.pmu.Unlock()
	x := &b.patterns
	if x.idx.Len() >= b.cfg.MaxPatterns {
		b.counters.refusedPatterns.Add(1)
		return fmt.Errorf("%w: the broker holds %d (MaxPatterns)", ErrTooManyPatterns, b.cfg.MaxPatterns)
	}
	if _, dup := x.parsed[s]; dup {
		return nil
	}
	if x.parsed == nil {
		x.parsed = make(map[*Subscription]*pattern.Pattern)
	}
	x.parsed[s] = p
	x.idx.Add(p, s)
	return nil
}

func (b *Memory) unsubscribePattern(s *Subscription) {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	x := &b.patterns
	if p, ok := x.parsed[s]; ok {
		x.idx.Remove(p, s)
		delete(x.parsed, s)
	}
}

// matchPatterns hands m to every pattern subscription matching its
// destination.
func (b *Memory) matchPatterns(m *Message) {
	b.pmu.RLock()
	defer b.pmu.RUnlock()
	if b.patterns.idx.Len() == 0 {
		return
	}
	segs, _ := pattern.Split(m.Destination)
	b.patterns.idx.Match(segs, func(s *Subscription) bool {
		s.Subscriber.Deliver(s, m)
		return true
	})
}

// patternCount returns how many pattern subscriptions there are.
func (b *Memory) patternCount() int {
	b.pmu.RLock()
	defer b.pmu.RUnlock()
	return b.patterns.idx.Len()
}
