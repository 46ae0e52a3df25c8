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
// Lock order: Server.mu, then session.mu; the broker's locks are never held
// while a session lock is taken, and a session never holds its lock while
// calling the broker.
//
// Server is safe for concurrent use.
package server
