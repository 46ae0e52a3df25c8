// Package server is the STOMP endpoint: it accepts WebSocket connections
// (an http.Handler, mounted at /chat-app by the stompbox command) and plain
// TCP connections, and runs one session per connection.
//
// A session has exactly one reader goroutine and one writer goroutine. The
// reader decodes frames (over WebSocket, frames may span messages and a
// message may hold several) and acts on them: SEND frames go to the
// [Application] or to the [broker.Broker], SUBSCRIBE frames become broker
// subscriptions. Nobody but the writer touches the socket: publishers append
// to the session's bounded queue, and the writer drains everything pending
// into one vectored write (one STOMP frame per WebSocket message). A session
// whose queue exceeds Config.MaxQueuedBytes is a slow consumer: it gets an
// ERROR frame and is closed, and nobody else waits for it.
//
// Protocol errors get an ERROR frame with a message header and a body saying
// what was wrong, then the connection closes; other sessions never notice.
//
// Queue messages flow by credit: a subscription refuses a queue message it
// has no room for (its prefetch, the session's unacknowledged or queued
// bytes, or a closing session), the broker keeps it, and the session
// resumes the subscription after an ACK, NACK or write. docs/guarantees.md
// says what a RECEIPT promises on each path and how a message can still be
// dropped; Stats counts each such drop.
//
// Lock order, outermost first; no goroutine takes them in another order:
//
//  1. Server.mu (sessions and listeners), then a session's mu (Shutdown,
//     Stats).
//  2. The broker's destination locks (held while it calls
//     Subscriber.Deliver), then session.acks.mu, then session.mu: deliver
//     takes acks.mu and enqueues under it.
//  3. registry.mu is taken alone, never while calling the broker.
//
// A session never calls the broker while it holds acks.mu or mu: refused and
// requeued messages go back from the reader or writer goroutine with no lock
// held, so no goroutine is ever started per message.
//
// Server is safe for concurrent use.
package server
