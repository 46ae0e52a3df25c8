package refserver

import (
	"slices"
	"sync"
	"sync/atomic"
)

// A topic is one destination's subscribers. Publishers read the list
// without a lock; (un)subscribing replaces it under mu.
type topic struct {
	mu   sync.Mutex
	subs atomic.Pointer[[]*subscription]
}

// A subscription is one SUBSCRIBE of one session.
type subscription struct {
	sess *session
	id   string
	dest string
	t    *topic
}

func (s *Server) subscribe(sess *session, id, dest string) *subscription {
	s.mu.Lock()
	t := s.topics[dest]
	if t == nil {
		t = &topic{}
		s.topics[dest] = t
	}
	s.mu.Unlock()
	sub := &subscription{sess: sess, id: id, dest: dest, t: t}
	t.mu.Lock()
	var old []*subscription
	if p := t.subs.Load(); p != nil {
		old = *p
	}
	next := append(slices.Clip(old), sub)
	t.subs.Store(&next)
	t.mu.Unlock()
	return sub
}

// unsubscribe removes sub; an emptied topic stays (stompbench's are few).
func (s *Server) unsubscribe(sub *subscription) {
	t := sub.t
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.subs.Load()
	if p == nil {
		return
	}
	next := slices.DeleteFunc(slices.Clone(*p), func(x *subscription) bool { return x == sub })
	t.subs.Store(&next)
}

// subscribers returns dest's subscribers; the slice must not be changed.
func (s *Server) subscribers(dest string) []*subscription {
	s.mu.Lock()
	t := s.topics[dest]
	s.mu.Unlock()
	if t == nil {
		return nil
	}
	if p := t.subs.Load(); p != nil {
		return *p
	}
	return nil
}
