package server

import (
	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
)

// handle acts on one frame. done reports that the session should end
// cleanly (DISCONNECT).
func (s *session) handle(f *frame.Frame) (done bool, err *ProtocolError) {
	if !s.connected {
		if f.Command != frame.CONNECT && f.Command != frame.STOMP {
			return false, protoErr("not connected", "the first frame must be CONNECT or STOMP, not %s", f.Command)
		}
		return false, s.onConnect(f)
	}
	switch f.Command {
	case frame.SEND, frame.ACK, frame.NACK:
		if tx, ok := f.Header.Lookup(frame.HdrTransaction); ok {
			return false, s.hold(tx, f)
		}
		return false, s.apply(f)
	case frame.SUBSCRIBE:
		return false, s.onSubscribe(f)
	case frame.UNSUBSCRIBE:
		return false, s.onUnsubscribe(f)
	case frame.BEGIN:
		return false, s.onBegin(f)
	case frame.COMMIT:
		return false, s.onCommit(f)
	case frame.ABORT:
		return false, s.onAbort(f)
	case frame.DISCONNECT:
		return true, nil
	case frame.CONNECT, frame.STOMP:
		return false, protoErr("already connected", "a session sends CONNECT once")
	default:
		return false, protoErr("unexpected frame", "%s is a server frame", f.Command)
	}
}

// apply carries out a SEND, ACK or NACK now: outside a transaction, or at
// its COMMIT.
func (s *session) apply(f *frame.Frame) *ProtocolError {
	switch f.Command {
	case frame.SEND:
		return s.onSend(f)
	case frame.ACK:
		return s.settle(f, true)
	default:
		return s.settle(f, false)
	}
}

// destination returns a frame's destination header, checked against the
// length limit.
func (s *session) destination(f *frame.Frame) (string, *ProtocolError) {
	dest, ok := f.Header.Lookup(frame.HdrDestination)
	if !ok || len(dest) == 0 {
		return "", protoErr("missing destination", "%s needs a destination header", f.Command)
	}
	if max := s.srv.cfg.MaxDestinationLen; len(dest) > max {
		return "", protoErr("destination too long", "destinations are limited to %d bytes (MaxDestinationLen); this one has %d", max, len(dest))
	}
	if broker.IsPrivate(string(dest)) {
		return "", protoErr("reserved destination", "%q: destinations holding %q are private to a session; use /user/...", frame.Truncate(string(dest)), broker.PrivateMark)
	}
	return string(dest), nil
}
