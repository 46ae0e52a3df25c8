package server

import (
	"context"
	"net/http"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
)

// A Session is what hooks, events and application handlers see of a
// connected client. It does not change after CONNECT.
type Session struct {
	ID        string // random, from crypto/rand; sent in CONNECTED
	User      string // the principal OnConnect named; "" when anonymous
	Transport string // "websocket" or "tcp"
	Remote    string // the peer's address
}

type sessionKey struct{}

// SessionFrom returns the session a handler's context belongs to.
func SessionFrom(ctx context.Context) (*Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(*Session)
	return s, ok
}

// WithSession returns a context carrying s, for calling handlers outside a
// STOMP session (tests, other transports).
func WithSession(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// A sessionContext is a connected session's context: it carries the
// Session for handlers (SessionFrom) and the session itself as the
// broker's publish origin (broker.OriginKey), in one allocation.
type sessionContext struct {
	context.Context
	s *session
}

func (c *sessionContext) Value(key any) any {
	switch key.(type) {
	case sessionKey:
		return c.s.info
	case broker.OriginKey:
		return c.s
	}
	return c.Context.Value(key)
}

// A ConnectRequest is what OnConnect sees of a connecting client.
type ConnectRequest struct {
	Header  frame.Header  // the CONNECT frame's headers: login, passcode, ...
	Request *http.Request // the WebSocket handshake (cookies, Authorization); nil over TCP. Its Context has ended with the handshake
	Remote  string
}

// A ConnectHandler names the user of a connecting client, Spring's
// principal, from its CONNECT headers or handshake. An error refuses the
// connection with ERROR "access denied"; its text is shown to the client
// only if it has a ClientError() string method.
type ConnectHandler func(ctx context.Context, c *ConnectRequest) (user string, err error)

// An AuthorizeHandler allows (nil) or denies a destination to a session,
// like a Spring ChannelInterceptor. It sees destinations as the client
// wrote them (/app/..., /user/queue/..., /topic/rooms.*). A denial is an
// ERROR "access denied" naming the destination.
type AuthorizeHandler func(ctx context.Context, s *Session, destination string) error

// EventType says what happened to a session.
type EventType uint8

// Session events, each fired exactly once per occurrence: Connected once
// CONNECTED is queued, Subscribed after each SUBSCRIBE takes effect,
// Unsubscribed after each UNSUBSCRIBE, Disconnected once when a connected
// session ends, however it ends (DISCONNECT, ERROR, or a socket that just
// died).
const (
	Connected EventType = iota + 1
	Subscribed
	Unsubscribed
	Disconnected
)

func (t EventType) String() string {
	switch t {
	case Connected:
		return "connected"
	case Subscribed:
		return "subscribed"
	case Unsubscribed:
		return "unsubscribed"
	case Disconnected:
		return "disconnected"
	}
	return "unknown"
}

// An Event is a session event. Destination and SubscriptionID are set for
// Subscribed and Unsubscribed.
type Event struct {
	Type           EventType
	Session        *Session
	SubscriptionID string
	Destination    string
}

// An EventHandler receives session events, on the session's own
// goroutine: it must return quickly.
type EventHandler func(ctx context.Context, e Event)

func (s *session) event(t EventType, subID, dest string) {
	if h := s.srv.cfg.OnEvent; h != nil && s.info != nil {
		h(s.ctx, Event{Type: t, Session: s.info, SubscriptionID: subID, Destination: dest})
	}
}
