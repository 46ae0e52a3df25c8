package netpoll

import (
	"sync"
	"sync/atomic"
	"time"
)

// roundStall is how long the poller waits for a round in which none of
// its goroutines leaves: longer than a slice of the garbage collector's
// work on a single core, which stops every goroutine for 10 ms and more.
const roundStall = 50 * time.Millisecond

// A Round is the Waiters one wake-up of the poller ended together: the
// goroutines it started for them, all at once. Each leaves the round when
// it has done what its wake-up was for, and may leave work (items) for the
// last one to do: so writes that many of them cause to one peer are made
// together, once, after all of them. A round of one Waiter is nil.
//
// The poller waits for a round before it starts the next, so that a round
// is the sockets that became ready while the one before ran, and no round
// is starved by later ones. It waits until every goroutine of the round
// has left or says it is blocked (Block: in code that may wait on
// something, such as an application's handler), or until the round
// stalls: roundStall passes in which nobody left. Then Leave's stalled
// function gets the items held, and the round holds no more. Goroutines
// that merely wait their turn for a busy CPU do not stall a round, as
// others leave meanwhile.
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

// Leave ends the caller's part in the round. If others are still in it,
// the round holds the caller's items (add appends them to the list it is
// given) and Leave returns nil, false. If the caller is the last, Leave
// returns what the round holds, and true: the caller does its own items
// and these. If the round stalled, Leave returns nil, true: the caller
// does its own. Should the round stall while it holds items, stalled is
// called with them, on the poller's goroutine: it must not wait.
func (r *Round) Leave(add func([]any) []any, stalled func([]any)) (held []any, keep bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.left++
	live := r.live.Add(-1)
	r.checkQuiet(live)
	switch {
	case r.broken:
		return nil, true
	case live == 0:
		held, r.held = r.held, nil
		return held, true
	}
	r.held = add(r.held)
	r.onStall = stalled
	return nil, false
}

// Block says that the caller, still in the round, is about to run code
// that may wait: the poller need not wait for it. Unblock says it is back.
func (r *Round) Block() {
	r.mu.Lock()
	r.blocked++
	r.checkQuiet(r.live.Load())
	r.mu.Unlock()
}

// Unblock ends a Block.
func (r *Round) Unblock() {
	r.mu.Lock()
	r.blocked--
	r.mu.Unlock()
}

// checkQuiet lets the poller go on once no goroutine of the round runs.
// r.mu is held.
func (r *Round) checkQuiet(live int32) {
	if live <= r.blocked && r.quiet != nil {
		close(r.quiet)
		r.quiet = nil
	}
}

// wait returns once nothing of the round runs, or it stalled; t is the
// poller's timer, stopped.
func (r *Round) wait(t *time.Timer) {
	r.mu.Lock()
	q, seen := r.quiet, r.left
	r.mu.Unlock()
	if q == nil {
		return
	}
	for {
		t.Reset(roundStall)
		select {
		case <-q:
			t.Stop()
			return
		case <-t.C:
		}
		r.mu.Lock()
		if r.quiet == nil {
			r.mu.Unlock()
			return
		}
		if r.left != seen {
			seen = r.left
			r.mu.Unlock()
			continue
		}
		r.broken = true
		r.checkQuiet(0)
		held, stalled := r.held, r.onStall
		r.held = nil
		r.mu.Unlock()
		if len(held) > 0 {
			stalled(held)
		}
		return
	}
}
