package refserver

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/stompbox/stompbox/bench/wsconn"
	"github.com/stompbox/stompbox/frame"
)

// A session is one connection: its goroutine reads frames and, for a SEND,
// writes the MESSAGE to every subscriber itself.
type session struct {
	srv  *Server
	c    net.Conn
	ws   bool
	ver  frame.Version
	subs map[string]*subscription // by id; only the reading goroutine uses it

	wmu sync.Mutex // one write at a time on c

	out    []byte // the reader's scratch for frames it writes
	shared []byte // the part of a MESSAGE every subscriber gets
}

// errDisconnect ends a session that sent DISCONNECT.
var errDisconnect = errors.New("refserver: disconnect")

func (s *session) run() {
	var r io.Reader = s.c
	if s.ws {
		wr := wsconn.NewReader(s.c)
		wr.OnPing = func(p []byte) { s.write(s.frameBytes(nil, wsconn.OpPong, p)) }
		r = wr
	}
	rd := frame.NewReader(r, frame.Limits{})
	defer rd.Release()
	var f frame.Frame
	for {
		if err := rd.ReadFrame(&f); err != nil {
			var ne *net.OpError
			switch {
			case errors.Is(err, io.EOF), errors.As(err, &ne):
			default: // the peer's bytes are not STOMP
				s.srv.log.Debug("refserver: read", "err", err)
				s.sendError("malformed frame", err.Error())
			}
			return
		}
		if err := s.handle(&f, rd); err != nil {
			if err != errDisconnect {
				s.sendError(err.Error(), "")
			}
			return
		}
	}
}

func (s *session) handle(f *frame.Frame, rd *frame.Reader) error {
	if s.ver == 0 && f.Command != frame.CONNECT && f.Command != frame.STOMP {
		return fmt.Errorf("CONNECT first, not %s", f.Command)
	}
	switch f.Command {
	case frame.CONNECT, frame.STOMP:
		if s.ver != 0 {
			return errors.New("already connected")
		}
		s.ver = negotiate(f.Header.Get(frame.HdrAcceptVersion))
		rd.SetVersion(s.ver)
		s.subs = make(map[string]*subscription)
		c := frame.New(frame.CONNECTED, frame.HdrVersion, s.ver.String(), frame.HdrHeartBeat, "0,0", frame.HdrServer, "refserver")
		return s.write(s.frameBytes(frame.AppendFrame(nil, c, s.ver), wsconn.OpText, nil))
	case frame.SUBSCRIBE:
		id, dest := f.Header.Get(frame.HdrID), f.Header.Get(frame.HdrDestination)
		if dest == "" {
			return errors.New("SUBSCRIBE without destination")
		}
		if _, dup := s.subs[id]; dup {
			return fmt.Errorf("subscription id %q in use", id)
		}
		s.subs[id] = s.srv.subscribe(s, id, dest)
	case frame.UNSUBSCRIBE:
		id := f.Header.Get(frame.HdrID)
		if sub, ok := s.subs[id]; ok {
			s.srv.unsubscribe(sub)
			delete(s.subs, id)
		}
	case frame.SEND:
		dest, ok := f.Header.Lookup(frame.HdrDestination)
		if !ok {
			return errors.New("SEND without destination")
		}
		s.publish(string(dest), f)
	case frame.DISCONNECT:
		s.receipt(f)
		return errDisconnect
	default:
		return fmt.Errorf("%s is not supported by the reference server", f.Command)
	}
	return s.receipt(f)
}

// receipt answers f's receipt header, if it has one.
func (s *session) receipt(f *frame.Frame) error {
	id, ok := f.Header.Lookup(frame.HdrReceipt)
	if !ok {
		return nil
	}
	b := append(s.out[:0], frame.RECEIPT...)
	b = append(b, '\n')
	b = frame.AppendHeader(b, frame.HdrReceiptID, id, s.ver)
	b = append(b, '\n', 0)
	s.out = b
	return s.write(s.frameBytes(nil, wsconn.OpText, b))
}

// publish delivers f to dest's subscribers: the shared part is encoded
// once, then each subscriber gets its own subscription line in front of it
// and one write.
func (s *session) publish(dest string, f *frame.Frame) {
	subs := s.srv.subscribers(dest)
	if len(subs) == 0 {
		return
	}
	id := s.srv.msgID.Add(1)
	sh := frame.AppendHeader(s.shared[:0], frame.HdrMessageID, strconv.AppendUint(nil, id, 10), frame.V1_2)
	sh = frame.AppendHeader(sh, frame.HdrDestination, dest, frame.V1_2)
	for _, h := range f.Header {
		switch string(h.Key) {
		case frame.HdrDestination, frame.HdrReceipt, frame.HdrContentLength, frame.HdrTransaction:
			continue
		}
		sh = frame.AppendHeader(sh, string(h.Key), h.Value, frame.V1_2)
	}
	sh = frame.AppendContentLength(sh, len(f.Body))
	sh = append(sh, '\n')
	sh = append(sh, f.Body...)
	sh = append(sh, 0)
	s.shared = sh
	op := wsconn.OpText
	if !utf8.Valid(f.Body) {
		op = wsconn.OpBinary
	}
	for _, sub := range subs {
		n := len("MESSAGE\nsubscription:\n") + len(sub.id) + len(sh)
		b := s.out[:0]
		if sub.sess.ws {
			b = wsconn.AppendHeader(b, op, n, nil)
		}
		b = append(b, "MESSAGE\n"...)
		b = frame.AppendHeader(b, frame.HdrSubscription, sub.id, frame.V1_2)
		b = append(b, sh...)
		s.out = b
		if err := sub.sess.write(b); err != nil {
			sub.sess.c.Close() // its own reader cleans up
		}
	}
}

// frameBytes returns payload (or p when payload is nil) framed for this
// session: as it is over TCP, in a server frame over WebSocket.
func (s *session) frameBytes(payload []byte, op byte, p []byte) []byte {
	if payload == nil {
		payload = p
	}
	if !s.ws {
		return payload
	}
	return wsconn.AppendFrame(nil, op, payload, nil)
}

// write sends b in one write.
func (s *session) write(b []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.c.SetWriteDeadline(time.Now().Add(s.srv.cfg.WriteTimeout))
	_, err := s.c.Write(b)
	return err
}

// sendError sends an ERROR frame; the caller then closes the connection.
func (s *session) sendError(msg, detail string) {
	e := frame.New(frame.ERROR, frame.HdrMessage, msg)
	e.Body = []byte(detail)
	s.write(s.frameBytes(frame.AppendFrame(nil, e, frame.V1_2), wsconn.OpText, nil))
}

// negotiate picks the highest version in an accept-version value; none
// means STOMP 1.0.
func negotiate(accept string) frame.Version {
	best := frame.V1_0
	for i := 0; i < len(accept); {
		j := i
		for j < len(accept) && accept[j] != ',' {
			j++
		}
		if v, ok := frame.ParseVersion(accept[i:j]); ok && v > best {
			best = v
		}
		i = j + 1
	}
	return best
}
