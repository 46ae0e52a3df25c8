package server

import (
	"errors"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
)

// onSend routes a SEND to the application or the broker. It returns once
// the message has been handled or routed, so a receipt means it has been.
func (s *session) onSend(f *frame.Frame) *ProtocolError {
	dest, perr := s.destination(f)
	if perr != nil {
		return perr
	}
	m := broker.NewMessage(dest, f.Header, append([]byte(nil), f.Body...))
	if app := s.srv.cfg.App; app != nil {
		handled, err := app.HandleSend(s.ctx, m)
		if handled {
			if err != nil {
				var ce clientError
				if errors.As(err, &ce) {
					s.log.Info("application refused message", "dest", m.Destination, "err", err)
					return &ProtocolError{Message: "invalid message", Detail: ce.ClientError()}
				}
				s.log.Error("application handler failed", "dest", m.Destination, "err", err)
				return protoErr("handler failed", "the application could not handle the message sent to %s", truncate(m.Destination))
			}
			return nil
		}
	}
	if !broker.ValidDestination(m.Destination) {
		return protoErr("unknown destination", "cannot send to %q: destinations start with /topic/ or /queue/, or belong to the application", truncate(m.Destination))
	}
	if err := s.srv.cfg.Broker.Publish(s.ctx, m); err != nil {
		if errors.Is(err, broker.ErrQueueFull) {
			return protoErr("queue full", "%v", err)
		}
		s.log.Error("publish failed", "dest", m.Destination, "err", err)
		return protoErr("publish failed", "the message to %s could not be routed", m.Destination)
	}
	return nil
}
