package server

import (
	"errors"
	"net"
	"os"
	"time"

	"github.com/stompbox/stompbox/internal/netpoll"
)

// Parking. A session with nothing to read does not keep a
// goroutine blocked in a read: its reader returns errParked from the frame
// reader's wait, hands the socket to the process's poller (parkRead) and
// ends. The poller starts resumeRead when bytes come, when the heart-beat
// deadline passes, or when the writer stops reads; reading goes on where
// it stopped, as every piece of reader state is in the session.

// resumeRead goes on reading after the poller ended a wait.
func (s *session) resumeRead(why netpoll.Reason, r *netpoll.Round) {
	s.woke = why
	if r != nil {
		s.fmu.Lock()
		s.round, s.roundRead = r, false
		s.fmu.Unlock()
	}
	s.read()
}

// parkRead hands the idle socket to the poller, with the deadline by which
// the client must send something (CONNECT before it is connected, then a
// heart-beat at least), and reports whether it did.
func (s *session) parkRead() bool {
	if s.rc == nil {
		return false
	}
	var deadline time.Time
	switch {
	case !s.connected:
		deadline = s.connectBy
	case s.hbIn > 0:
		deadline = time.Now().Add(2 * s.hbIn)
	}
	if w, ok := s.src.(*wsReader); ok {
		w.idle()
	}
	// The wheel keeps the deadline now: no runtime timer for it, and the
	// reader sets one again when it resumes (deadlineReader.arm).
	s.conn.SetReadDeadline(time.Time{})
	if err := s.srv.poller.Wait(&s.park, s.rc, deadline); err != nil {
		s.logger().Warn("idle connection not parked; it keeps a goroutine", "err", err)
		return false
	}
	// The writer may have stopped reads (stopReading) before the socket
	// was parked, and found nothing to wake: wake it now.
	if s.readStop.Load() {
		s.srv.poller.Wake(&s.park)
	}
	return true
}

// inputBuffered returns how many bytes the session has read and not yet
// handled.
func (s *session) inputBuffered() int {
	n := s.rd.Buffered()
	if w, ok := s.src.(*wsReader); ok {
		n += w.Buffered()
	}
	return n
}

// errParked ends the read loop so that the session waits for input on the
// poller, holding no goroutine.
var errParked = errors.New("server: waiting on the poller")

// waitInput waits until the socket has bytes to read. A session with a
// poller does not wait: it returns errParked, and reading resumes where it
// left off once the poller says why it woke.
func (s *session) waitInput() error {
	if s.flushBeforeWait() {
		return nil // more input is there already: read it first
	}
	why := s.woke
	s.woke = 0
	switch why {
	case netpoll.Readable:
		return nil
	case netpoll.Woken:
		return errReadStopped
	case netpoll.Expired:
		if s.socketReadable() {
			return nil // bytes came just as the deadline passed
		}
		return os.ErrDeadlineExceeded
	}
	if s.readStop.Load() {
		return errReadStopped // its deadline may be gone (CONNECT clears it)
	}
	if s.srv.poller != nil && !s.noPark {
		return errParked
	}
	return waitReadable(s.conn)
}

// waitReadable waits until c has bytes to read (or has ended), without
// reading them: it peeks at the socket when the poller says it is ready.
// It honours c's read deadline. On a connection that is not a socket it
// returns at once, and the caller just reads.
func waitReadable(c net.Conn) error {
	rc := rawConn(c)
	if rc == nil {
		return nil
	}
	return rc.Read(peekReady)
}
