package server

import (
	"context"
	"errors"
	"strings"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
)

// onSend routes a SEND to the application, to a user, or to the broker. It
// returns once the message has been handled or routed, so a receipt means
// it has been (docs/guarantees.md says what that promises per destination).
func (s *session) onSend(f *frame.Frame) *ProtocolError {
	dest, perr := s.sendDestination(f)
	if perr != nil {
		return perr
	}
	m := broker.NewMessage(dest, f.Header, append([]byte(nil), f.Body...))
	_, receipted := f.Header.Lookup(frame.HdrReceipt)
	if ur := s.srv.userRouter; ur != nil && isUserDestination(dest) {
		return s.sendToUser(ur, m, receipted)
	}
	if app := s.srv.cfg.App; app != nil {
		ctx := s.ctx
		if receipted {
			ctx = WithReceipt(ctx)
		}
		s.enterApp()
		handled, err := app.HandleSend(ctx, m)
		s.leaveApp()
		if handled {
			return s.appError(err, dest)
		}
	}
	ms, perr := s.route(m, receipted)
	if perr != nil {
		return perr
	}
	if s.enterBroker() {
		defer s.leaveApp()
	}
	for _, m := range ms {
		if err := s.srv.cfg.Broker.Publish(s.ctx, m); err != nil {
			return s.publishError(err, dest)
		}
	}
	return nil
}

// sendDestination returns a SEND's destination once the length and
// authorization checks pass.
func (s *session) sendDestination(f *frame.Frame) (string, *ProtocolError) {
	dest, perr := s.destination(f)
	if perr != nil {
		return "", perr
	}
	if h := s.srv.cfg.OnSend; h != nil {
		s.enterApp()
		err := h(s.ctx, s.info, dest)
		s.leaveApp()
		if err != nil {
			s.logger().Info("send denied", "dest", dest, "err", err)
			return "", denied("send to", dest, err)
		}
	}
	return dest, nil
}

// route returns the broker messages a SEND of m becomes: m itself for a
// broker destination, or one per session of the user for /user/{name}/...
// A user destination that reaches no session is a documented drop, counted;
// when the sender asked for a receipt (strict) it gets an ERROR instead, so
// that no receipt ever stands for a message nobody got.
func (s *session) route(m *broker.Message, strict bool) ([]*broker.Message, *ProtocolError) {
	dest := m.Destination
	if user, ud, ok := splitUserDestination(dest); ok {
		if s.srv.userRouter != nil {
			// Only a transaction gets here: its user SENDs would have to
			// reach other nodes all or none, which the router cannot do.
			return nil, protoErr("unsupported", "a transaction cannot send to %q: users are routed between nodes (send it outside the transaction)", frame.Truncate(dest))
		}
		m.Destination = ud
		ms := s.srv.userMessages(user, m)
		if len(ms) == 0 {
			s.srv.counters.userUnreachable.Add(1)
			s.logger().Debug("user destination reached nobody", "dest", dest)
			if strict {
				return nil, protoErr("no recipient", "no session of user %q subscribes to /user%s: the message was not delivered", frame.Truncate(user), frame.Truncate(ud))
			}
		}
		return ms, nil
	}
	if !broker.ValidDestination(dest) {
		return nil, protoErr("unknown destination", "cannot send to %q: destinations start with /topic/, /queue/ or /user/, or belong to the application", frame.Truncate(dest))
	}
	return []*broker.Message{m}, nil
}

// splitUserDestination splits /user/{name}/queue/x into the user and the
// user destination /queue/x.
func splitUserDestination(dest string) (user, ud string, ok bool) {
	rest, ok := strings.CutPrefix(dest, UserPrefix+"/")
	if !ok {
		return "", "", false
	}
	i := strings.IndexByte(rest, '/')
	if i <= 0 || !broker.ValidDestination(rest[i:]) {
		return "", "", false
	}
	return rest[:i], rest[i:], true
}

func (s *session) publishError(err error, dest string) *ProtocolError {
	switch {
	case errors.Is(err, broker.ErrQueueFull):
		return protoErr("queue full", "%v", err)
	case errors.Is(err, broker.ErrTooManyDestinations):
		return protoErr("too many destinations", "%v", err)
	case errors.Is(err, broker.ErrBadDestination):
		return protoErr("invalid destination", "%v", err)
	case errors.Is(err, broker.ErrUnavailable):
		s.srv.warn.Warn("publish refused: the broker is unavailable", "dest", dest, "err", err)
		return protoErr("broker unavailable", "the message to %s was not sent: the message broker is unreachable; send it again later", frame.Truncate(dest))
	}
	s.logger().Error("publish failed", "dest", dest, "err", err)
	return protoErr("publish failed", "the message to %s could not be routed", frame.Truncate(dest))
}

// appError turns an application handler's error into the ERROR frame for
// the client, or nil.
func (s *session) appError(err error, dest string) *ProtocolError {
	if err == nil {
		return nil
	}
	var ce clientError
	if errors.As(err, &ce) {
		s.logger().Info("application refused message", "dest", dest, "err", err)
		return &ProtocolError{Message: "invalid message", Detail: ce.ClientError()}
	}
	s.logger().Error("application handler failed", "dest", dest, "err", err)
	return protoErr("handler failed", "the application could not handle the message for %s", frame.Truncate(dest))
}

type receiptKey struct{}

// ReceiptRequested reports whether the SEND an Application is handling
// asked for a receipt. The server answers it once HandleSend returns
// without an error, so an application that drops the message must return
// an error instead: a RECEIPT must never stand for a message nobody took.
func ReceiptRequested(ctx context.Context) bool {
	v, _ := ctx.Value(receiptKey{}).(bool)
	return v
}

// WithReceipt returns a context for calling an Application outside a
// session (tests, other transports) as if the SEND asked for a receipt.
func WithReceipt(ctx context.Context) context.Context {
	return context.WithValue(ctx, receiptKey{}, true)
}

// isUserDestination reports whether dest is /user/{name}/...
func isUserDestination(dest string) bool {
	_, _, ok := splitUserDestination(dest)
	return ok
}

// sendToUser sends a SEND to /user/{name}/... through the cluster's user
// router, to the user's sessions on every node. With a receipt, a user
// online on no node is an ERROR "no recipient".
func (s *session) sendToUser(ur broker.UserRouter, m *broker.Message, strict bool) *ProtocolError {
	user, ud, _ := splitUserDestination(m.Destination)
	m.Destination = ud
	if s.enterBroker() {
		defer s.leaveApp()
	}
	reached, err := ur.PublishUser(s.ctx, user, m)
	if err != nil {
		return s.publishError(err, UserPrefix+"/"+user+ud)
	}
	if !reached {
		s.srv.counters.userUnreachable.Add(1)
		if strict {
			return protoErr("no recipient", "user %q has no session on any node: the message to /user%s was not delivered", frame.Truncate(user), frame.Truncate(ud))
		}
	}
	return nil
}
