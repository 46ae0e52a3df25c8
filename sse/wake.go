package sse

import "sync"

// The waker wakes the listeners of topics that received messages, on its
// own goroutine, so that a publisher only queues the topic: O(1) under
// the broker's destination lock, whatever the number of listeners. A
// topic is queued at most once until the waker takes it (topic.queued),
// so the queue holds at most one entry per topic, and a burst of messages
// costs each listener one wake-up.
type waker struct {
	mu      sync.Mutex
	queue   []*topic
	running bool          // the goroutine was started
	kick    chan struct{} // buffered 1: the queue is not empty
}

// notify queues t for waking; t.queued was set by the caller.
func (h *hub) notify(t *topic) {
	w := &h.waker
	w.mu.Lock()
	w.queue = append(w.queue, t)
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// startWaker starts the waker goroutine if it is not running. The caller
// holds h.mu; the goroutine counts as busy until the hub closes.
func (h *hub) startWaker() {
	if h.waker.running {
		return
	}
	h.waker.running = true
	h.busy++
	go h.runWaker()
}

func (h *hub) runWaker() {
	defer h.leave()
	w := &h.waker
	var batch []*topic
	for {
		select {
		case <-w.kick:
		case <-h.done:
			return
		}
		w.mu.Lock()
		batch, w.queue = w.queue, batch[:0]
		w.mu.Unlock()
		for i, t := range batch {
			// Cleared first: a message after this queues t again.
			t.queued.Store(false)
			t.wake()
			batch[i] = nil
		}
	}
}
