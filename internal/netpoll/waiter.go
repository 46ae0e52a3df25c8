package netpoll

// Reason says why a Waiter's function was called.
type Reason uint8

const (
	Readable Reason = iota + 1 // the socket has bytes to read, or has ended
	Expired                    // the deadline passed first
	Woken                      // Wake was called
)

func (r Reason) String() string {
	switch r {
	case Readable:
		return "readable"
	case Expired:
		return "expired"
	case Woken:
		return "woken"
	}
	return "unknown"
}

// A Waiter is one connection's place in a Poller. Its zero value is ready
// to use once F is set; it must not be copied after its first Wait. One
// connection (one socket) has one Waiter for its life.
type Waiter struct {
	// F is called, on a goroutine of its own, once per Wait, with the
	// Round of the wake-up (nil if it woke only this Waiter). F must
	// leave a non-nil Round (Round.Leave) once it has done what the
	// wake-up was for, and say when it blocks (Round.Block): the poller
	// waits for the round, up to roundStall without progress.
	F func(Reason, *Round)

	fd      int32
	gen     uint32 // this wait's number, to tell a stale event from a live one
	waiting bool   // between Wait and the call of F; guarded by the Poller's mu
	added   bool   // the socket is in the epoll set (re-armed with MOD after)
	alarm   bool   // an Alarm's: on the wheel only

	// The timing wheel's list of a slot, when the wait has a deadline.
	expires    int64 // in ticks
	onWheel    bool
	prev, next *Waiter
}
