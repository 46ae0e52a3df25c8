// Package netpoll waits for many sockets at once to become readable, with
// one epoll instance and one goroutine for the whole process, so that a
// connection with nothing to read holds no goroutine (and no goroutine
// stack) of its own.
//
// A caller parks a connection with [Poller.Wait], giving a [Waiter] it keeps
// in its own per-connection state (nothing is allocated per wait) and a
// deadline; the Waiter's function then runs once, on a new goroutine, when
// the socket is readable or has hung up, when the deadline passes, or when
// [Poller.Wake] is called, whichever comes first. Deadlines sit on one
// timing wheel, not a timer each.
//
// The socket stays registered with Go's own poller too: once woken, the
// caller reads it through its net.Conn as usual, and the read does not
// block. On systems without epoll, [Default] returns nil and callers keep a
// goroutine per connection.
//
// The poller's goroutine does not block a thread in epoll_wait: the epoll
// descriptor is registered with Go's poller, so the poller is scheduled
// like any reader. The Waiters one wake-up finds ready form a [Round]: the
// poller waits for it before it looks again, and the round lets the work
// its goroutines leave (writes to the same peers) be done once, by the
// last of them. Under load a round is every socket that became ready
// while the previous one ran; at a low rate it is one socket.
//
// An [Alarm] is a function the wheel calls at a time: per-connection
// timers (heart-beats to send) without a runtime timer each.
package netpoll
