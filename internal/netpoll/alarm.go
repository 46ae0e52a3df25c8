package netpoll

// Tick is the resolution of the poller's timing wheel: a wait's deadline,
// or an alarm, fires within one Tick after its time (and half a Tick more
// while the poller waits for a round).
const Tick = tick

// An Alarm is a function the poller calls at a time, from its timing
// wheel: setting and stopping one is O(1) and allocates nothing after the
// first time, where a runtime timer each would cost a heap of its own.
// Its zero value is ready to use once F is set; it must not be copied
// after its first Set.
type Alarm struct {
	// F is called on a goroutine of its own, once per Set that is not
	// stopped (or set again) first; or after a Stop or Set that came as
	// the poller was taking the alarm off its wheel to call it. F must
	// allow for that.
	F func()

	w Waiter // its place on the wheel
}
