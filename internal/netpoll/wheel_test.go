package netpoll

import (
	"slices"
	"testing"
)

func TestWheelExpiresInOrderAndOnlyOnce(t *testing.T) {
	var wh wheel
	wh.now = 1000
	ws := make([]Waiter, 6)
	at := []int64{1001, 1003, 1003, 1000 + wheelSlots + 3, 1000 + 3*wheelSlots, 1002}
	for i := range ws {
		wh.add(&ws[i], at[i])
	}
	wh.remove(&ws[5]) // taken off before it is due: never expires
	var got []int
	expire := func(w *Waiter) {
		for i := range ws {
			if &ws[i] == w {
				got = append(got, i)
			}
		}
	}
	wh.advance(1002, expire)
	if !slices.Equal(got, []int{0}) {
		t.Fatalf("by tick 1002 expired %v, want [0]", got)
	}
	wh.advance(1003, expire)
	slices.Sort(got)
	if !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("by tick 1003 expired %v, want [0 1 2]", got)
	}
	// Tick 1003+wheelSlots visits slot 3 again: only waiter 3 is due, not
	// waiter 4, a turn later in the same slot.
	wh.advance(1000+wheelSlots+3, expire)
	if !slices.Equal(got[3:], []int{3}) {
		t.Fatalf("a turn later expired %v, want [3]", got[3:])
	}
	// A jump of more than a turn sweeps every slot once.
	wh.advance(1000+5*wheelSlots, expire)
	if !slices.Equal(got[4:], []int{4}) || wh.n != 0 {
		t.Fatalf("after a long jump expired %v (%d left), want [4] and none", got[4:], wh.n)
	}
	wh.advance(1000+6*wheelSlots, expire)
	if len(got) != 5 {
		t.Fatalf("expired %v: a waiter expired twice or a removed one expired", got)
	}
}

func TestWheelAddsPastDeadlinesAtTheNextTick(t *testing.T) {
	var wh wheel
	wh.now = 50
	var w Waiter
	wh.add(&w, 10)
	n := 0
	wh.advance(50, func(*Waiter) { n++ })
	if n != 0 {
		t.Fatal("a deadline in the past expired before the next tick")
	}
	wh.advance(51, func(*Waiter) { n++ })
	if n != 1 || w.onWheel {
		t.Fatalf("expired %d times, on the wheel %v; want once, off", n, w.onWheel)
	}
}
