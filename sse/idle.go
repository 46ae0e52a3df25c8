package sse

import "time"

// Idle topics - held by no request, kept so that a quick reconnect can
// resume - are listed oldest first. One timer drops each BufferAge after
// it went idle; past MaxIdleTopics the oldest go at once, so that one-shot
// requests cannot keep thousands of subscriptions and buffers alive.
type idleList struct {
	head, tail *topic
	n          int
	reaper     *time.Timer // fires when head is due; nil until first needed
}

// idle lists t, which nobody holds any more, and returns the topics that
// makes too many. The caller holds h.mu and calls drop with them after
// unlocking.
func (h *hub) idle(t *topic) []*topic {
	l := &h.idles
	t.idleAt = time.Now()
	t.prev, t.next, t.isIdle = l.tail, nil, true
	if l.tail != nil {
		l.tail.next = t
	} else {
		l.head = t
	}
	l.tail = t
	l.n++
	if l.n == 1 {
		if l.reaper == nil {
			l.reaper = time.AfterFunc(h.age, h.reap)
		} else {
			l.reaper.Reset(h.age)
		}
	}
	var drop []*topic
	for l.n > h.maxIdle {
		drop = append(drop, h.removeLocked(l.head))
	}
	return drop
}

// unidle takes t off the list, held again. The caller holds h.mu.
func (h *hub) unidle(t *topic) {
	if !t.isIdle {
		return
	}
	l := &h.idles
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		l.head = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	} else {
		l.tail = t.prev
	}
	t.prev, t.next, t.isIdle = nil, nil, false
	l.n--
}

// removeLocked takes t out of the hub and returns it. The caller holds
// h.mu, and calls drop with it after unlocking: a live topic counts as
// busy until its broker subscription is gone.
func (h *hub) removeLocked(t *topic) *topic {
	h.unidle(t)
	t.dead = true
	delete(h.topics, t.name)
	if t.live {
		h.busy++
	}
	return t
}

// drop unsubscribes topics that removeLocked took out of the hub. (One
// still subscribing undoes its own subscription when it sees it is dead.)
func (h *hub) drop(topics []*topic) {
	for _, t := range topics {
		if t.live {
			h.unsubscribe(t)
			h.leave()
		}
	}
}

// reap drops the topics idle for BufferAge, and sets the timer for the
// next one.
func (h *hub) reap() {
	h.mu.Lock()
	var drop []*topic
	l := &h.idles
	now := time.Now()
	for !h.closed && l.head != nil && now.Sub(l.head.idleAt) >= h.age {
		drop = append(drop, h.removeLocked(l.head))
	}
	if !h.closed && l.head != nil {
		l.reaper.Reset(h.age - now.Sub(l.head.idleAt))
	}
	h.mu.Unlock()
	h.drop(drop)
}
