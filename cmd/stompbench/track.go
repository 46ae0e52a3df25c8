package main

// A tracker follows the sequence numbers one receiving connection sees
// from each publisher of its room. STOMP keeps one publisher's messages to
// one subscription in order, so anything else is a fault: a number
// skipped is lost (unless it comes later, which is counted as a
// duplicate: out of order), a number seen again is a duplicate.
type tracker struct {
	next   []uint64 // per publisher of the room: the next sequence expected
	unique uint64   // messages received for the first time
	dups   uint64   // repeated or out of order
	alien  uint64   // bodies not from a publisher of this room
}

func newTracker(pubsInRoom int) tracker {
	t := tracker{next: make([]uint64, pubsInRoom)}
	for i := range t.next {
		t.next[i] = 1
	}
	return t
}

// see records message seq of the publisher with index local in the room.
func (t *tracker) see(local int, seq uint64) {
	if local < 0 || local >= len(t.next) || seq == 0 {
		t.alien++
		return
	}
	switch n := t.next[local]; {
	case seq >= n:
		t.unique++
		t.next[local] = seq + 1
	default:
		t.dups++
	}
}
