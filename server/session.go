package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
)

// A session is one client connection.
type session struct {
	srv  *Server
	id   string
	conn net.Conn
	t    transport
	log  *slog.Logger
	ctx  context.Context
	stop context.CancelFunc

	// Reader-goroutine state.
	rd   *frame.Reader
	subs map[string]*broker.Subscription

	ver       atomic.Uint32 // frame.Version once connected
	hbOut     atomic.Int64  // negotiated server-to-client interval
	hbIn      time.Duration // negotiated client-to-server interval
	seq       atomic.Uint64 // message-id counter
	readStop  atomic.Bool   // the writer has finished; reads must end soon
	connected bool
	endedByUs bool // the reader stopped by choice, not because the peer went

	// Outbound queue, guarded by mu.
	mu        sync.Mutex
	queue     []outFrame
	queued    int
	closing   bool
	closeCode uint16

	wake       chan struct{}
	writerDone chan struct{}
}

// errReadStopped ends the read loop once the writer has finished.
var errReadStopped = errors.New("server: session closed")

// lingerTime is how long a closing session waits for the peer to finish its
// side, so that closing does not reset the connection under unread data.
const lingerTime = 2 * time.Second

func (srv *Server) newSession(conn net.Conn, t transport) *session {
	s := &session{
		srv:        srv,
		id:         newID(),
		conn:       conn,
		t:          t,
		subs:       make(map[string]*broker.Subscription),
		wake:       make(chan struct{}, 1),
		writerDone: make(chan struct{}),
	}
	s.log = srv.log.With("session", s.id)
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.ver.Store(uint32(frame.V1_2))
	return s
}

func (s *session) version() frame.Version { return frame.Version(s.ver.Load()) }

func (s *session) heartbeatOut() time.Duration { return time.Duration(s.hbOut.Load()) }

// serve runs the session until the connection ends, then cleans up. src is
// the transport's byte stream.
func (s *session) serve(src io.Reader) {
	s.log.Debug("session opened", "remote", s.conn.RemoteAddr().String(), "transport", s.t.name())
	go s.writeLoop()
	s.rd = frame.NewReader(&deadlineReader{s: s, r: src}, s.srv.cfg.ConnectLimits)
	s.conn.SetReadDeadline(time.Now().Add(s.srv.cfg.ConnectTimeout))
	err := s.readLoop()
	s.cleanup()
	s.closeWith(s.closeCodeFor(err))
	<-s.writerDone
	if s.endedByUs {
		// We chose to end (DISCONNECT, ERROR) while the peer may still be
		// sending: let it see our close before the socket goes.
		s.linger(src)
	}
	s.conn.Close()
	s.stop()
	s.log.Info("session closed", "reason", closeReason(err))
}

func (s *session) closeCodeFor(err error) uint16 {
	var ce *closeError
	if errors.As(err, &ce) {
		return ce.code
	}
	return 1000
}

// linger reads and discards what the peer still sends, for a bounded time,
// so that closing does not turn into a reset that loses our last frames.
func (s *session) linger(src io.Reader) {
	s.conn.SetReadDeadline(time.Now().Add(lingerTime))
	var buf [512]byte
	for {
		if _, err := src.Read(buf[:]); err != nil {
			return
		}
	}
}

// stopReading makes the reader return soon; the writer calls it on exit.
func (s *session) stopReading() {
	s.readStop.Store(true)
	s.conn.SetReadDeadline(time.Now().Add(lingerTime))
}

// deadlineReader extends the read deadline before every read once the
// session is connected, so any byte (a frame or a heart-beat) proves the
// client alive.
type deadlineReader struct {
	s *session
	r io.Reader
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	s := d.s
	if s.connected && !s.readStop.Load() {
		if s.hbIn > 0 {
			s.conn.SetReadDeadline(time.Now().Add(2 * s.hbIn))
		} else {
			s.conn.SetReadDeadline(time.Time{})
		}
	}
	return d.r.Read(p)
}

// readLoop decodes and handles frames until the connection ends, the client
// disconnects or a frame is refused.
func (s *session) readLoop() error {
	var f frame.Frame
	for {
		err := s.rd.ReadFrame(&f)
		if s.readStop.Load() {
			return errReadStopped
		}
		if err != nil {
			var ce *closeError
			var ne net.Error
			switch {
			case errors.As(err, &ce), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
				return err
			case errors.As(err, &ne) && ne.Timeout():
				if !s.connected {
					s.fail(protoErr("connect timeout", "no CONNECT frame within %s", s.srv.cfg.ConnectTimeout), nil)
				} else {
					s.log.Info("client heart-beat missed", "interval", s.hbIn)
				}
				return err
			case isFrameError(err):
				s.fail(protoErr("malformed frame", "%v", err), nil)
				s.endedByUs = true
				return err
			default:
				return err
			}
		}
		receipt, hasReceipt := f.Header.Lookup(frame.HdrReceipt)
		if !hasReceipt {
			receipt = nil
		}
		done, perr := s.handle(&f)
		if perr != nil {
			s.fail(perr, receipt)
			s.endedByUs = true
			return perr
		}
		if hasReceipt {
			s.send(frame.New(frame.RECEIPT, frame.HdrReceiptID, string(receipt)))
		}
		if done {
			s.endedByUs = true
			return nil
		}
	}
}

func isFrameError(err error) bool {
	return errors.Is(err, frame.ErrUnknownCommand) || errors.Is(err, frame.ErrLineTooLong) ||
		errors.Is(err, frame.ErrTooManyHeaders) || errors.Is(err, frame.ErrBodyTooLarge) ||
		errors.Is(err, frame.ErrBadContentLength) || errors.Is(err, frame.ErrMissingNUL) ||
		errors.Is(err, frame.ErrMalformedHeader) || errors.Is(err, frame.ErrBadEscape)
}

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
	case frame.SEND:
		return false, s.onSend(f)
	case frame.SUBSCRIBE:
		return false, s.onSubscribe(f)
	case frame.UNSUBSCRIBE:
		return false, s.onUnsubscribe(f)
	case frame.DISCONNECT:
		return true, nil
	case frame.CONNECT, frame.STOMP:
		return false, protoErr("already connected", "a session sends CONNECT once")
	case frame.ACK, frame.NACK, frame.BEGIN, frame.COMMIT, frame.ABORT:
		return false, protoErr("unsupported frame", "%s is not supported yet; subscribe with ack:auto and send without transactions", f.Command)
	default:
		return false, protoErr("unexpected frame", "%s is a server frame", f.Command)
	}
}

var supportedVersions = []frame.Version{frame.V1_2, frame.V1_1, frame.V1_0}

// onConnect negotiates the version and heart-beats and answers CONNECTED.
func (s *session) onConnect(f *frame.Frame) *ProtocolError {
	v, ok := negotiateVersion(f.Header)
	if !ok {
		return protoErr("unsupported version", "supported versions are 1.0, 1.1 and 1.2; the client accepts %q", f.Header.Get(frame.HdrAcceptVersion))
	}
	hb, hasHB := f.Header.Lookup(frame.HdrHeartBeat)
	cx, cy, ok := parseHeartBeat(string(hb), hasHB && v >= frame.V1_1)
	if !ok {
		return protoErr("invalid heart-beat", "heart-beat must be two non-negative integers, \"cx,cy\", not %q", hb)
	}
	cfg := &s.srv.cfg
	out, in := negotiateHeartBeat(cx, cy, cfg.HeartBeatSend, cfg.HeartBeatReceive)

	s.ver.Store(uint32(v))
	s.rd.SetVersion(v)
	s.rd.SetLimits(cfg.Limits)
	s.hbIn = in
	s.connected = true
	s.conn.SetReadDeadline(time.Time{})

	c := frame.New(frame.CONNECTED, frame.HdrVersion, v.String(), frame.HdrServer, cfg.ServerName, frame.HdrSession, s.id)
	if v >= frame.V1_1 {
		c.Header.Add(frame.HdrHeartBeat, formatHeartBeat(cfg.HeartBeatSend, cfg.HeartBeatReceive))
	}
	s.send(c)
	s.hbOut.Store(int64(out))
	s.wakeWriter() // start heart-beating at the negotiated rate
	s.log.Info("session connected", "version", v.String(), "heartbeat_out", out, "heartbeat_in", in, "transport", s.t.name())
	return nil
}

// negotiateVersion picks the highest version both sides speak; a CONNECT
// without accept-version is STOMP 1.0.
func negotiateVersion(h frame.Header) (frame.Version, bool) {
	av, ok := h.Lookup(frame.HdrAcceptVersion)
	if !ok {
		return frame.V1_0, true
	}
	for _, v := range supportedVersions {
		for rest := string(av); rest != ""; {
			var item string
			item, rest, _ = strings.Cut(rest, ",")
			if w, ok := frame.ParseVersion(strings.TrimSpace(item)); ok && w == v {
				return v, true
			}
		}
	}
	return 0, false
}

func (s *session) onSend(f *frame.Frame) *ProtocolError {
	dest, ok := f.Header.Lookup(frame.HdrDestination)
	if !ok || len(dest) == 0 {
		return protoErr("missing destination", "SEND needs a destination header")
	}
	if f.Header.Has(frame.HdrTransaction) {
		return protoErr("unsupported frame", "transactions are not supported yet")
	}
	m := broker.NewMessage(string(dest), f.Header, append([]byte(nil), f.Body...))
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
		s.log.Error("publish failed", "dest", m.Destination, "err", err)
		return protoErr("publish failed", "the message to %s could not be routed", m.Destination)
	}
	return nil
}

func (s *session) onSubscribe(f *frame.Frame) *ProtocolError {
	dest, ok := f.Header.Lookup(frame.HdrDestination)
	if !ok || len(dest) == 0 {
		return protoErr("missing destination", "SUBSCRIBE needs a destination header")
	}
	id, ok := f.Header.Lookup(frame.HdrID)
	if !ok {
		if s.version() >= frame.V1_1 {
			return protoErr("missing id", "SUBSCRIBE needs an id header")
		}
		id = dest // STOMP 1.0: the destination names the subscription
	}
	if ack, ok := f.Header.Lookup(frame.HdrAck); ok && string(ack) != "auto" {
		return protoErr("unsupported ack mode", "ack:%s is not supported yet; use ack:auto", truncate(string(ack)))
	}
	if _, dup := s.subs[string(id)]; dup {
		return protoErr("duplicate subscription", "subscription id %q is already in use", truncate(string(id)))
	}
	if len(s.subs) >= s.srv.cfg.MaxSubscriptions {
		return protoErr("too many subscriptions", "a session may hold %d subscriptions", s.srv.cfg.MaxSubscriptions)
	}
	if !broker.ValidDestination(string(dest)) {
		return protoErr("unknown destination", "cannot subscribe to %q: destinations start with /topic/ or /queue/", truncate(string(dest)))
	}
	sub := &broker.Subscription{ID: string(id), Destination: string(dest), Subscriber: s}
	if err := s.srv.cfg.Broker.Subscribe(s.ctx, sub); err != nil {
		s.log.Error("subscribe failed", "dest", sub.Destination, "err", err)
		return protoErr("subscribe failed", "could not subscribe to %s", sub.Destination)
	}
	s.subs[sub.ID] = sub
	s.log.Debug("subscribed", "dest", sub.Destination, "id", sub.ID)
	return nil
}

func (s *session) onUnsubscribe(f *frame.Frame) *ProtocolError {
	id, ok := f.Header.Lookup(frame.HdrID)
	if !ok && s.version() == frame.V1_0 {
		id, ok = f.Header.Lookup(frame.HdrDestination)
	}
	if !ok {
		return protoErr("missing id", "UNSUBSCRIBE needs an id header")
	}
	sub := s.subs[string(id)]
	if sub == nil {
		return protoErr("unknown subscription", "no subscription with id %q", truncate(string(id)))
	}
	delete(s.subs, sub.ID)
	if err := s.srv.cfg.Broker.Unsubscribe(s.ctx, sub); err != nil {
		s.log.Error("unsubscribe failed", "dest", sub.Destination, "err", err)
	}
	return nil
}

// Deliver implements broker.Subscriber: it enqueues a MESSAGE made of the
// session's own header lines in front of the message's shared bytes.
func (s *session) Deliver(sub *broker.Subscription, m *broker.Message) {
	v := s.version()
	head := make([]byte, 0, 48+len(sub.ID)+len(s.id))
	head = append(head, frame.MESSAGE...)
	head = append(head, '\n')
	head = frame.AppendHeader(head, frame.HdrSubscription, sub.ID, v)
	head = append(head, frame.HdrMessageID...)
	head = append(head, ':')
	head = append(head, s.id...)
	head = append(head, '-')
	head = strconv.AppendUint(head, s.seq.Add(1), 10)
	head = append(head, '\n')
	s.enqueue(outFrame{head: head, shared: m.Encoded(v), text: m.IsText()})
}

// cleanup removes the session's subscriptions from the broker.
func (s *session) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for id, sub := range s.subs {
		if err := s.srv.cfg.Broker.Unsubscribe(ctx, sub); err != nil {
			s.log.Error("unsubscribe on close failed", "dest", sub.Destination, "err", err)
		}
		delete(s.subs, id)
	}
}

// closeReason says in a word or two why a session ended, for the log.
func closeReason(err error) string {
	var pe *ProtocolError
	var ce *closeError
	switch {
	case err == nil:
		return "disconnect"
	case errors.As(err, &pe):
		return pe.Message
	case errors.As(err, &ce):
		return ce.reason
	case errors.Is(err, errReadStopped):
		return "closed by server"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection lost"
	}
	return err.Error()
}
