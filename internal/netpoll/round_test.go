//go:build linux

package netpoll

import (
	"net"
	"runtime"
	"slices"
	"testing"
	"time"
)

func hold(items ...any) func([]any) []any {
	return func(h []any) []any { return append(h, items...) }
}

func noStall(held []any) { panic("stalled") }

// waitReturns fails the test with why unless the poller's wait for r
// returns within a second.
func waitReturns(t *testing.T, r *Round, why string) {
	t.Helper()
	done := make(chan struct{})
	go func() { r.wait(time.NewTimer(time.Hour), func() {}); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal(why)
	}
}

// The last to leave a round gets what those before it left, and the
// poller's wait ends with it.
func TestRoundLastLeaverGetsTheItems(t *testing.T) {
	r := newRound(3)
	if !r.Shared() {
		t.Fatal("a round of three is not shared")
	}
	if held, keep := r.Leave(hold("a"), noStall); keep || held != nil {
		t.Fatalf("first of three: got %v, %v; want nil, false", held, keep)
	}
	if held, keep := r.Leave(hold("b", "c"), noStall); keep || held != nil {
		t.Fatalf("second of three: got %v, %v; want nil, false", held, keep)
	}
	if r.Shared() {
		t.Fatal("one left, and the round is still shared")
	}
	held, keep := r.Leave(hold("ignored"), noStall)
	if !keep || !slices.Equal(held, []any{"a", "b", "c"}) {
		t.Fatalf("last: got %v, %v; want [a b c], true", held, keep)
	}
	waitReturns(t, r, "the poller still waits for a round everyone left")
	var nilRound *Round
	if nilRound.Shared() {
		t.Fatal("a nil round is shared")
	}
}

// The poller does not wait for a goroutine that says it is blocked, and
// the round holds nothing for it: the one that blocks last, or leaves
// while the rest are blocked, gets what the round holds.
func TestRoundHoldsNothingForBlockedGoroutines(t *testing.T) {
	r := newRound(3)
	r.Leave(hold("a"), noStall)
	if held := r.Block(); held != nil {
		t.Fatalf("blocked with another still running: got %v, want nothing", held)
	}
	// The third leaves while the second is blocked: it does both.
	held, keep := r.Leave(hold("b"), noStall)
	if !keep || !slices.Equal(held, []any{"a"}) {
		t.Fatalf("leaving beside a blocked one: got %v, %v; want [a], true", held, keep)
	}
	waitReturns(t, r, "the poller waits for a blocked goroutine")
	r.Unblock()
	if held, keep := r.Leave(hold("c"), noStall); !keep || held != nil {
		t.Fatalf("last: got %v, %v; want nothing, true", held, keep)
	}

	r = newRound(2)
	r.Leave(hold("a"), noStall)
	if held := r.Block(); !slices.Equal(held, []any{"a"}) {
		t.Fatalf("the last to run blocked: got %v, want [a]", held)
	}
}

// A round in which nobody leaves for roundStall hands what it holds to
// the stalled function, and those who leave later keep their own. The
// timing wheel turns meanwhile.
func TestRoundStallHandsOnTheItems(t *testing.T) {
	r := newRound(2)
	got := make(chan []any, 1)
	r.Leave(hold("a"), func(held []any) { got <- held })
	start := time.Now()
	ticks := 0
	r.wait(time.NewTimer(time.Hour), func() { ticks++ }) // the second never leaves in time
	if d := time.Since(start); d < roundStall {
		t.Fatalf("the poller gave up after %v, before roundStall (%v)", d, roundStall)
	}
	if ticks == 0 {
		t.Fatal("the timing wheel did not turn while the poller waited")
	}
	select {
	case held := <-got:
		if !slices.Equal(held, []any{"a"}) {
			t.Fatalf("stalled got %v, want [a]", held)
		}
	default:
		t.Fatal("stalled was not called")
	}
	if held, keep := r.Leave(hold("b"), noStall); !keep || held != nil {
		t.Fatalf("leaving a stalled round: got %v, %v; want nil, true", held, keep)
	}
}

// A round that makes progress is not a stall, however long it lasts.
func TestRoundThatProgressesDoesNotStall(t *testing.T) {
	const n = 6
	r := newRound(n)
	done := make(chan []any)
	go func() {
		for i := range n {
			time.Sleep(roundStall / 2)
			if held, keep := r.Leave(hold(i), noStall); keep {
				done <- held
			}
		}
	}()
	start := time.Now()
	r.wait(time.NewTimer(time.Hour), func() {})
	if d := time.Since(start); d < n*roundStall/2 {
		t.Fatalf("the poller went on after %v, before the round ended", d)
	}
	if last := <-done; !slices.Equal(last, []any{0, 1, 2, 3, 4}) {
		t.Fatalf("the last to leave got %v, want [0 1 2 3 4]", last)
	}
}

// Sockets that become readable together are woken in one round, which
// the poller waits for before it wakes more.
func TestPollerWakesReadySocketsInOneRound(t *testing.T) {
	const n = 50
	p := Default()
	clients := make([]*net.TCPConn, n)
	ws := make([]Waiter, n)
	rounds := make(chan *Round, n)
	gate := make(chan struct{})
	for i := range n {
		srv, cli := pair(t)
		clients[i] = cli
		ws[i].F = func(_ Reason, r *Round) {
			rounds <- r
			<-gate
			if r != nil {
				r.Leave(hold(i), noStall)
			}
		}
		if err := p.Wait(&ws[i], rawConn(t, srv), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	// On one P the poller cannot run while this goroutine writes: it
	// finds every socket ready when it does.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, c := range clients {
		c.Write([]byte{'x'})
	}
	first := <-rounds
	if first == nil {
		t.Fatal("the first socket was woken alone")
	}
	shared := 1
	for shared < n {
		select {
		case r := <-rounds:
			if r == first {
				shared++
			}
		case <-time.After(time.Second):
			t.Fatalf("%d of %d sockets were woken in the first round, and no more come", shared, n)
		}
	}
	close(gate)
}

// Once the poller has gone on (everyone was blocked), nothing watches the
// round for a stall: it holds nobody's items after that, even when some
// of its goroutines run again.
func TestRoundHoldsNothingOnceThePollerWentOn(t *testing.T) {
	r := newRound(3)
	r.Block()
	r.Block()
	if held := r.Block(); held != nil {
		t.Fatalf("nothing was held, got %v", held)
	}
	waitReturns(t, r, "the poller waits for a round whose goroutines are all blocked")
	r.Unblock()
	r.Unblock() // two run again, one is still blocked
	if held, keep := r.Leave(hold("a"), noStall); !keep || held != nil {
		t.Fatalf("leaving after the poller went on: got %v, %v; want nothing, true (keep its own)", held, keep)
	}
}
