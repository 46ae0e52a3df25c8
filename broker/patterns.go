package broker

import (
	"fmt"
	"slices"
	"strings"

	"github.com/stompbox/stompbox/pattern"
)

// patternIndex holds the topic pattern subscriptions. Guarded by
// Memory.pmu.
type patternIndex struct {
	list []patternSub
}

type patternSub struct {
	p *pattern.Pattern
	s *Subscription
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
	if len(b.patterns.list) >= b.cfg.MaxPatterns {
		b.counters.refusedPatterns.Add(1)
		return fmt.Errorf("%w: the broker holds %d (MaxPatterns)", ErrTooManyPatterns, b.cfg.MaxPatterns)
	}
	b.patterns.list = append(b.patterns.list, patternSub{p: p, s: s})
	return nil
}

func (b *Memory) unsubscribePattern(s *Subscription) {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	b.patterns.list = slices.DeleteFunc(b.patterns.list, func(ps patternSub) bool { return ps.s == s })
}

// matchPatterns hands m to every pattern subscription matching its
// destination.
func (b *Memory) matchPatterns(m *Message) {
	b.pmu.RLock()
	defer b.pmu.RUnlock()
	if len(b.patterns.list) == 0 {
		return
	}
	segs, _ := pattern.Split(m.Destination) // once, for every pattern
	for _, p := range b.patterns.list {
		if p.p.MatchSplit(segs) {
			p.s.Subscriber.Deliver(p.s, m)
		}
	}
}

// patternCount returns how many pattern subscriptions there are.
func (b *Memory) patternCount() int {
	b.pmu.RLock()
	defer b.pmu.RUnlock()
	return len(b.patterns.list)
}
