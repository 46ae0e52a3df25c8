package netpoll

import (
	"sync"
	"sync/atomic"
	"time"
)

// roundStall is how long the poller waits for a round in which none of
// its goroutines leaves before it gives up on the round: one of them is
// waiting on something that did not say so (Block).
const roundStall = 50 * time.Millisecond

// A Round is the Waiters one wake-up of the poller ended together: the
// goroutines it started for them, all at once. Each leaves the round when
// it has done what its wake-up was for, and may leave work (items) for the
// last one to do: so writes that many of them cause to one peer are made
// together, once, after all of them. A round of one Waiter is nil.
//
// The poller waits for a round before it starts the next, so that a round
// is the sockets that became ready while the one before ran, and no round
// is starved by later ones. A goroutine that is about to run code that may
// wait (an application's handler, a call to a remote broker) says so with
// Block: the poller does not wait for it, and the round holds nobody's
// items for it either. Whoever leaves or blocks while every other
// goroutine still in the round is blocked gets what the round holds. So
// items wait only for goroutines that run, or wait their turn to.
//
// A goroutine may still wait without saying so. Should roundStall pass
// with none leaving, the poller gives up on the round: Leave's stalled
// function gets the items held, and the round holds no more.
type Round struct {
	live    atomic.Int32 // goroutines that have not left
	mu      sync.Mutex
	blocked int32         // goroutines that said they are blocked (and not that they are back)
	held    []any         // the items of those that left
	left    uint32        // how many left, to tell a stall from a long round
	broken  bool          // stalled: items are no longer held
	quiet   chan struct{} // closed once nothing of the round runs (see wait)
	onStall func([]any)
}

func newRound(n int) *Round {
	r := &Round{quiet: make(chan struct{})}
	r.live.Store(int32(n))
	return r
}

// Shared reports whether other goroutines of the round have not left yet.
// A nil Round is not shared.
func (r *Round) Shared() bool { return r != nil && r.live.Load() > 1 }

// Leave ends the caller's part in the round. If others still run in it,
// the round holds the caller's items (add appends them to the list it is
// given) and Leave returns nil, false. Else the caller is the last, or the
// others are blocked (or were, and the poller went on): Leave returns
// what the round holds, and true, and the caller does its own items and
// these. If the round stalled, Leave
// returns nil, true: the caller does its own. Should the round stall
// while it holds items, stalled is called with them, on the poller's
// goroutine: it must not wait.
func (r *Round) Leave(add func([]any) []any, stalled func([]any)) (held []any, keep bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.left++
	live := r.live.Add(-1)
	switch {
	case r.broken:
		return nil, true
	case live <= r.blocked || r.quiet == nil:
		// Nobody else runs, or did not a moment ago and the poller went
		// on: nothing would watch what the round held.
		r.checkQuiet()
		held, r.held = r.held, nil
		return held, true
	}
	r.held = add(r.held)
	r.onStall = stalled
	return nil, false
}

// Block says that the caller, still in the round, is about to run code
// that may wait: the poller need not wait for it. If every other
// goroutine of the round is blocked too (or has left), Block returns what
// the round holds: the caller does those items now, as nobody else would
// until the blocked ones come back. Unblock says the caller is back.
func (r *Round) Block() (held []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.blocked++
	if live := r.live.Load(); live <= r.blocked {
		r.checkQuiet()
		held, r.held = r.held, nil
	}
	return held
}

// Unblock ends a Block.
func (r *Round) Unblock() {
	r.mu.Lock()
	r.blocked--
	r.mu.Unlock()
}

// checkQuiet lets the poller go on: nothing of the round runs. r.mu is
// held.
func (r *Round) checkQuiet() {
	if r.quiet != nil {
		close(r.quiet)
		r.quiet = nil
	}
}

// wait returns once nothing of the round runs, or it stalled. Meanwhile
// it calls tick every Tick/2, for the timing wheel; t is the poller's
// timer, stopped.
func (r *Round) wait(t *time.Timer, tick func()) {
	r.mu.Lock()
	q, seen := r.quiet, r.left
	r.mu.Unlock()
	if q == nil {
		return
	}
	waited := time.Duration(0)
	for {
		t.Reset(Tick / 2)
		select {
		case <-q:
			t.Stop()
			return
		case <-t.C:
		}
		tick()
		waited += Tick / 2
		r.mu.Lock()
		switch {
		case r.quiet == nil:
			r.mu.Unlock()
			return
		case r.left != seen:
			seen, waited = r.left, 0
			r.mu.Unlock()
			continue
		case waited < roundStall:
			r.mu.Unlock()
			continue
		}
		r.broken = true
		r.checkQuiet()
		held, stalled := r.held, r.onStall
		r.held = nil
		r.mu.Unlock()
		if len(held) > 0 {
			stalled(held)
		}
		return
	}
}
