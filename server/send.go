package server

import (
	"errors"
	"strings"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
)

// onSend routes a SEND to the application, to a user, or to the broker. It
// returns once the message has been handled or routed, so a receipt means
// it has been.
func (s *session) onSend(f *frame.Frame) *ProtocolError {
	dest, perr := s.destination(f)
	if perr != nil {
		return perr
	}
	if h := s.srv.cfg.OnSend; h != nil {
		if err := h(s.ctx, s.info, dest); err != nil {
			s.log.Info("send denied", "dest", dest, "err", err)
			return denied("send to", dest, err)
		}
	}
	m := broker.NewMessage(dest, f.Header, append([]byte(nil), f.Body...))
	if app := s.srv.cfg.App; app != nil {
		handled, err := app.HandleSend(s.ctx, m)
		if handled {
			return s.appError(err, dest)
		}
	}
	if user, ud, ok := splitUserDestination(dest); ok {
		m.Destination = ud
		if _, err := s.srv.PublishToUser(s.ctx, user, m); err != nil {
			return s.publishError(err, dest)
		}
		return nil
	}
	if !broker.ValidDestination(m.Destination) {
		return protoErr("unknown destination", "cannot send to %q: destinations start with /topic/, /queue/ or /user/, or belong to the application", truncate(m.Destination))
	}
	if err := s.srv.cfg.Broker.Publish(s.ctx, m); err != nil {
		return s.publishError(err, dest)
	}
	return nil
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
	if errors.Is(err, broker.ErrQueueFull) {
		return protoErr("queue full", "%v", err)
	}
	s.log.Error("publish failed", "dest", dest, "err", err)
	return protoErr("publish failed", "the message to %s could not be routed", truncate(dest))
}

// appError turns an application handler's error into the ERROR frame for
// the client, or nil.
func (s *session) appError(err error, dest string) *ProtocolError {
	if err == nil {
		return nil
	}
	var ce clientError
	if errors.As(err, &ce) {
		s.log.Info("application refused message", "dest", dest, "err", err)
		return &ProtocolError{Message: "invalid message", Detail: ce.ClientError()}
	}
	s.log.Error("application handler failed", "dest", dest, "err", err)
	return protoErr("handler failed", "the application could not handle the message for %s", truncate(dest))
}
