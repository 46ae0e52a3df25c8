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
package netpoll
