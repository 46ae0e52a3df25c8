package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/internal/netpoll"
)

// A session is one client connection.
type session struct {
	srv  *Server
	id   string
	conn net.Conn
	out  net.Conn // what the writer writes to: conn, unwrapped (see vectorTarget)
	t    transport
	req  *http.Request          // the WebSocket handshake until CONNECT; nil over TCP
	info *Session               // set at CONNECT
	reg  regEntry               // guarded by srv.reg.mu
	user atomic.Pointer[string] // for the log: set once, at CONNECT, while others may log
	ctx  context.Context
	stop context.CancelFunc

	// Reader state: touched by one goroutine at a time, the one reading
	// (after a park, a new one the poller starts).
	src         io.Reader // the transport's byte stream
	rd          *frame.Reader
	park        netpoll.Waiter // the session's place in srv.poller while idle
	woke        netpoll.Reason // why the poller resumed reading; 0 once seen
	noPark      bool           // the poller refused this socket: read without it
	inBatch     bool           // frames were read since the last flush (flush.go)
	batchFrames int            // how many
	subs        map[string]*subscription
	txs         map[string]*transaction
	txBytes     int

	// Sessions whose writes this session's reader makes after its batch of
	// input (flush.go), guarded by fmu.
	fmu       sync.Mutex
	batching  bool
	lastFrame bool        // the frame being handled was the last input there was
	inApp     bool        // the reader is in an application handler
	stall     *time.Timer // made at the first handler call with writes waiting: appStalled
	flushq    []*session
	round     *netpoll.Round // the poller woke the reader with others (flushPending); nil once it left
	roundRead bool           // the reader has read its socket in this round
	blockedIn *netpoll.Round // the round told that the reader is in the application's code

	rc     syscall.RawConn // the socket, for writes that must not block; nil if not one
	direct *directWrite    // made at the first such write; used by whoever holds the writing

	acks      acks          // unacknowledged messages
	ver       atomic.Uint32 // frame.Version once connected
	hbOut     atomic.Int64  // negotiated server-to-client interval
	lastWrite atomic.Int64  // when bytes last went to the client, since hbEpoch (heartbeat.go)
	hbIn      time.Duration // negotiated client-to-server interval
	seq       atomic.Uint64 // message-id counter
	readStop  atomic.Bool   // the writer has finished; reads must end soon
	connected bool
	connectBy time.Time // when CONNECT must have come by (ConnectTimeout)
	endedByUs bool      // the reader stopped by choice, not because the peer went

	// Outbound queue, guarded by mu.
	mu        sync.Mutex
	queue     []outFrame
	queued    int
	heads     []byte     // the queued MESSAGEs' own header lines, back to back
	qbuf      *queueBuf  // the pooled box queue and heads came from, if any
	orphans   []outFrame // ack:auto queue messages a slow-consumer cut discarded
	closing   bool
	closeCode uint16
	writing   bool          // a writer is running (writeLoop), or a reader writes for us (flush.go)
	lingering bool          // the writer waits for more (writerLinger)
	writerGen int           // counts writers retired while lingering
	hbAlarm   netpoll.Alarm // goes off when a heart-beat may be due (heartbeat.go)
	hbTimer   *time.Timer   // the same, without a poller
	hbStopped bool          // the writer ended: no more heart-beats

	wake       chan struct{} // wakes a writer that waits for more (writerLinger)
	writerDone chan struct{} // closed by the last writer, once the session is closing

	frames frameCounts // for Stats
}

// errReadStopped ends the read loop once the writer has finished.
var errReadStopped = errors.New("server: session closed")

// lingerTime is how long a closing session waits for the peer to finish its
// side, so that closing does not reset the connection under unread data.
const lingerTime = 2 * time.Second

func (srv *Server) newSession(conn net.Conn, t transport, req *http.Request) *session {
	s := &session{
		srv:        srv,
		id:         newID(),
		conn:       conn,
		out:        vectorTarget(conn),
		rc:         rawConn(conn),
		t:          t,
		req:        req,
		subs:       make(map[string]*subscription),
		wake:       make(chan struct{}, 1),
		writerDone: make(chan struct{}),
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.ver.Store(uint32(frame.V1_2))
	return s
}

// logger returns the server's logger with the session's id, and its user
// once connected. It is made anew on each call: a session logs rarely (as
// it opens and closes, and on errors), and an idle one should not hold a
// logger of its own.
func (s *session) logger() *slog.Logger {
	if u := s.user.Load(); u != nil {
		return s.srv.log.With("session", s.id, "user", *u)
	}
	return s.srv.log.With("session", s.id)
}

func (s *session) version() frame.Version { return frame.Version(s.ver.Load()) }

func (s *session) heartbeatOut() time.Duration { return time.Duration(s.hbOut.Load()) }

// serve runs the session until the connection ends, then cleans up. src is
// the transport's byte stream. With a poller, serve returns as soon as the
// session waits for input, and reading resumes on a goroutine the poller
// starts.
func (s *session) serve(src io.Reader) {
	s.logger().Debug("session opened", "remote", s.conn.RemoteAddr().String(), "transport", s.t.name())
	s.src = src
	s.rd = frame.NewReader(&deadlineReader{s: s, r: src}, s.srv.cfg.ConnectLimits)
	s.park.F = s.resumeRead
	s.connectBy = time.Now().Add(s.srv.cfg.ConnectTimeout)
	s.conn.SetReadDeadline(s.connectBy)
	s.read()
}

// read runs the read loop until the session ends, which it then finishes,
// or until it parks its socket on the poller.
func (s *session) read() {
	for {
		err := s.readLoop()
		s.flushPending()
		if errors.Is(err, errParked) {
			if s.parkRead() {
				return
			}
			s.noPark = true // read this socket with a goroutine from now on
			continue
		}
		s.end(err)
		return
	}
}

// end finishes a session whose read loop ended with err.
func (s *session) end(err error) {
	s.cleanup()
	s.closeWith(s.closeCodeFor(err))
	<-s.writerDone
	if s.endedByUs {
		// We chose to end (DISCONNECT, ERROR) while the peer may still be
		// sending: let it see our close before the socket goes.
		s.linger(s.src)
	}
	s.conn.Close()
	s.rd.Release() // the reader is done: its buffer goes back to the pool
	s.stop()
	s.logger().Info("session closed", "reason", closeReason(err))
	s.srv.forget(s)
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
	if w, ok := src.(*wsReader); ok {
		src = w.r() // raw bytes: the WebSocket stream may be broken
	}
	s.conn.SetReadDeadline(time.Now().Add(lingerTime))
	var buf [512]byte
	for {
		if _, err := src.Read(buf[:]); err != nil {
			return
		}
	}
}

// stopReading makes the reader return soon, parked or not; the writer
// calls it on exit.
func (s *session) stopReading() {
	s.readStop.Store(true)
	s.conn.SetReadDeadline(time.Now().Add(lingerTime))
	if s.srv.poller != nil {
		s.srv.poller.Wake(&s.park)
	}
}

// deadlineReader extends the read deadline before every read once the
// session is connected, so any byte (a frame or a heart-beat) proves the
// client alive.
type deadlineReader struct {
	s *session
	r io.Reader
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if _, ws := d.r.(*wsReader); !ws {
		d.s.beforeRead() // a WebSocket's reads of the socket are in wsReader
	}
	d.arm()
	return d.r.Read(p)
}

// WaitRead implements frame.Waiter: the frame reader waits with it, its
// buffer given back, while a connection is idle. The deadline applies.
func (d *deadlineReader) WaitRead() error {
	d.arm()
	if b, ok := d.r.(interface{ Buffered() int }); ok && b.Buffered() > 0 {
		return nil // the transport has bytes already
	}
	return d.s.waitInput()
}

// arm sets the read deadline for the next read: CONNECT's until the
// session is connected (set again, as parking takes it off), then twice
// the client's heart-beat interval.
func (d *deadlineReader) arm() {
	s := d.s
	if s.readStop.Load() {
		return
	}
	switch {
	case !s.connected:
		s.conn.SetReadDeadline(s.connectBy)
	case s.hbIn > 0:
		s.conn.SetReadDeadline(time.Now().Add(2 * s.hbIn))
	default:
		s.conn.SetReadDeadline(time.Time{})
	}
	// The writer may have stopped reads (readStop, then a short deadline)
	// between the check and the line above, whose deadline would then
	// keep the reader alive: look again.
	if s.readStop.Load() {
		s.conn.SetReadDeadline(time.Now().Add(lingerTime))
	}
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
			case errors.As(err, &ce):
				// A WebSocket close, ours (1002, 1007) or the client's:
				// linger so that our close frame is read, not reset away.
				s.endedByUs = true
				return err
			case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
				return err
			case errors.As(err, &ne) && ne.Timeout():
				if !s.connected {
					s.fail(protoErr("connect timeout", "no CONNECT frame within %s", s.srv.cfg.ConnectTimeout), nil)
				} else {
					s.logger().Info("client heart-beat missed", "interval", s.hbIn)
				}
				return err
			case isFrameError(err):
				s.fail(protoErr(frameErrorMessage(err), "%v", err), nil)
				s.endedByUs = true
				return err
			default:
				return err
			}
		}
		s.frames.countIn(f.Command)
		s.beginFrame(s.inputBuffered() == 0 && !s.socketReadable())
		receipt, hasReceipt := f.Header.Lookup(frame.HdrReceipt)
		if !hasReceipt {
			receipt = nil
		}
		done, perr := s.handle(&f)
		if perr == nil && hasReceipt {
			s.reply(frame.New(frame.RECEIPT, frame.HdrReceiptID, string(receipt)))
		}
		s.endFrame()
		if perr != nil {
			s.fail(perr, receipt)
			s.endedByUs = true
			return perr
		}
		if done {
			s.endedByUs = true
			return nil
		}
	}
}

// frameErrorMessage is the ERROR message header for a decoding error: the
// limit's name when a limit was exceeded.
func frameErrorMessage(err error) string {
	switch {
	case errors.Is(err, frame.ErrBodyTooLarge):
		return "body too large"
	case errors.Is(err, frame.ErrLineTooLong):
		return "header line too long"
	case errors.Is(err, frame.ErrTooManyHeaders):
		return "too many headers"
	case errors.Is(err, frame.ErrNULInHeader):
		return "NUL in header"
	}
	return "malformed frame"
}

func isFrameError(err error) bool {
	return errors.Is(err, frame.ErrUnknownCommand) || errors.Is(err, frame.ErrLineTooLong) ||
		errors.Is(err, frame.ErrTooManyHeaders) || errors.Is(err, frame.ErrBodyTooLarge) ||
		errors.Is(err, frame.ErrBadContentLength) || errors.Is(err, frame.ErrMissingNUL) ||
		errors.Is(err, frame.ErrMalformedHeader) || errors.Is(err, frame.ErrBadEscape) ||
		errors.Is(err, frame.ErrNULInHeader)
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

// cleanup removes the session's subscriptions from the broker, then gives
// back the queue messages it had not acknowledged (so they go to other
// subscribers, not back here) and drops its open transactions.
func (s *session) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for id, sub := range s.subs {
		if !sub.app {
			if err := s.srv.cfg.Broker.Unsubscribe(ctx, sub.bs); err != nil {
				s.logger().Error("unsubscribe on close failed", "dest", sub.bs.Destination, "err", err)
			}
		}
		delete(s.subs, id)
	}
	s.requeue(s.acks.close())
	clear(s.txs)
	s.txBytes = 0
	if s.info != nil {
		if s.srv.reg.remove(s) && s.srv.userRouter != nil {
			s.srv.userRouter.Offline(s.info.User)
		}
		s.event(Disconnected, "", "")
	}
}
