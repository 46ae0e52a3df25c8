package netpoll

import "time"

// tick is the timing wheel's resolution: a deadline fires within one tick
// after it passes. Deadlines here are heart-beat and connect timeouts,
// seconds long, so a tenth of a second is plenty.
const tick = 100 * time.Millisecond

// wheelSlots is how many ticks one turn of the wheel spans (51.2 s);
// later deadlines wait for their turn in the slot they hash to.
const wheelSlots = 512

// A wheel is a hashed timing wheel of Waiters: adding and removing one is
// O(1) and allocates nothing (the links are in the Waiter); advancing
// visits one slot a tick. Guarded by the Poller's mu.
type wheel struct {
	slots [wheelSlots]*Waiter // heads of doubly linked lists
	now   int64               // the last tick advanced to
	n     int                 // Waiters on the wheel
}

// epoch is what tick counts start from: a reading of the monotonic clock,
// so that a step of the wall clock neither expires every wait at once nor
// delays them.
var epoch = time.Now()

func ticks(t time.Time) int64 { return int64(t.Sub(epoch) / tick) }

// add puts w on the wheel to expire at tick at (at least the next tick).
func (wh *wheel) add(w *Waiter, at int64) {
	if at <= wh.now {
		at = wh.now + 1
	}
	w.expires, w.onWheel = at, true
	slot := at % wheelSlots
	w.prev, w.next = nil, wh.slots[slot]
	if w.next != nil {
		w.next.prev = w
	}
	wh.slots[slot] = w
	wh.n++
}

// remove takes w off the wheel, if it is on it.
func (wh *wheel) remove(w *Waiter) {
	if !w.onWheel {
		return
	}
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		wh.slots[w.expires%wheelSlots] = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	}
	w.prev, w.next, w.onWheel = nil, nil, false
	wh.n--
}

// advance moves the wheel to tick to, removing and passing to expire each
// Waiter whose deadline has come.
func (wh *wheel) advance(to int64, expire func(*Waiter)) {
	if wh.n == 0 || to-wh.now > wheelSlots {
		// Nothing to visit, or a whole turn or more: visit every slot
		// once rather than the same ones over.
		if wh.n > 0 {
			wh.sweep(to, expire)
		}
		wh.now = to
		return
	}
	for wh.now < to {
		wh.now++
		wh.visit(wh.now%wheelSlots, wh.now, expire)
	}
}

func (wh *wheel) sweep(to int64, expire func(*Waiter)) {
	for i := range int64(wheelSlots) {
		wh.visit(i, to, expire)
	}
}

func (wh *wheel) visit(slot, now int64, expire func(*Waiter)) {
	for w := wh.slots[slot]; w != nil; {
		next := w.next
		if w.expires <= now {
			wh.remove(w)
			expire(w)
		}
		w = next
	}
}
