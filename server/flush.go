package server

import (
	"errors"
	"os"
	"runtime"
	"time"

	"github.com/stompbox/stompbox/broker"
)

// Flush after read. A publisher's reader that delivers a topic message to
// a subscriber with no writer running does not start one: it notes the
// subscriber (deferFlush), and once it has handled the frames it has read
// and is about to read again, it writes each noted subscriber's queue
// itself (flushPending): one write() of everything queued, without
// blocking. So a delivery at a low rate costs one system call, not a
// goroutine's start or wake-up as well; at a high rate, a subscriber gets
// the messages of a whole batch of input in one write. A socket that does
// not take everything at once gets a writer goroutine for the rest, so a
// slow subscriber never holds the publisher up. (nats-server does the
// same: "flush clients" at the end of its read loop.)

// maxDirect is the most bytes a reader writes for another session: more
// (a subscriber far behind, or large messages) is left to a writer
// goroutine, which writes without copying.
const maxDirect = 64 << 10

// flushBudget bounds the time a reader spends writing for others in one
// flush when other cores could be writing too: past it the rest get
// writer goroutines. With one core there is nobody to share the work with.
const flushBudget = time.Millisecond

// directBufs holds the buffers direct writes are copied into.
var directBufs = slicePool[byte]{initial: 4 << 10, max: maxDirect + 64<<10}

// maxBatchFrames is the most frames a reader handles before it makes the
// writes their deliveries left to it, however fast its input comes.
const maxBatchFrames = 64

// flushBeforeWait is called by the reader before each wait for, or read
// of, its socket. If the socket has input already, and the batch is not at
// maxBatchFrames, the writes can wait for that input's deliveries to join
// them, and it reports true; else it makes them now (flushPending) and
// reports false. So under load a subscriber gets the messages of many
// frames in one write, and when input pauses, at once.
//
// A reader woken with others (a round) reads its socket once: before it
// waits for or reads its socket again, it leaves the round, and then
// parks if nothing more came (to be woken in a later round), or goes on
// reading outside the round (the rest of a frame, say). So a round lasts
// about as long as one read of each of its sockets, and a subscriber gets
// what the readers of a round published for it in one write (unless one
// of them blocked, and the round's writes were made before it was over).
// Reader goroutine only.
func (s *session) flushBeforeWait() bool {
	if s.round != nil && s.roundRead {
		s.flushPending()
		return false
	}
	if !s.inBatch {
		return false
	}
	if s.batchFrames < maxBatchFrames && s.socketReadable() {
		return true
	}
	s.flushPending()
	return false
}

// beforeRead is called by the reader right before it reads its socket.
func (s *session) beforeRead() {
	s.flushBeforeWait()
	if s.round != nil {
		s.roundRead = true
	}
}

// socketReadable reports whether the session's socket has input now (or
// has ended), without taking it.
func (s *session) socketReadable() bool {
	if s.rc == nil {
		return false
	}
	ready := false
	s.rc.Control(func(fd uintptr) { ready = peekReady(fd) })
	return ready
}

// beginFrame marks the reader as handling a frame: deliveries may leave
// their writes to it until flushPending. last says that no more input is
// there: then a subscriber not yet noted is written at once, inside the
// delivery (which Message.Origin allows), as nothing would join its write
// by waiting, and the rest right after the frame (endFrame). After
// maxBatchFrames frames the writes are made whatever comes. Reader
// goroutine only.
func (s *session) beginFrame(last bool) {
	if s.batchFrames >= maxBatchFrames {
		s.flushPending()
	}
	s.batchFrames++
	if s.inBatch && s.lastFrame == last {
		return
	}
	s.inBatch = true
	s.fmu.Lock()
	s.batching, s.lastFrame = true, last
	s.fmu.Unlock()
}

// endFrame is called once a frame is handled: after the last input there
// was, the writes it left are made now.
func (s *session) endFrame() {
	if s.inBatch && s.lastFrame {
		s.flushPending()
	}
}

// What deferFlush says of a write it was offered.
const (
	flushRefused = iota // write it the usual way: a writer goroutine
	flushLater          // s's reader writes it after its batch
	flushNow            // the caller writes it now (flushDirect)
)

// deferFlush is offered the write of sub, whose writing the caller
// claimed for a message s's reader publishes. It notes sub for s's reader
// to write after its batch; or says to write it now, if the batch is at
// the last input there was; or refuses it if s's reader is not handling
// input now (a handler's goroutine publishing in the session's name
// later, say), as nobody would flush.
func (s *session) deferFlush(sub *session) int {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	switch {
	case !s.batching:
		return flushRefused
	case s.lastFrame && !s.round.Shared():
		return flushNow
	}
	if s.flushq == nil {
		s.flushq = flushqPool.get()
	}
	s.flushq = append(s.flushq, sub)
	return flushLater
}

var flushqPool = slicePool[*session]{initial: 16, max: 1 << 16}

// flushPending ends the reader's batch: it writes the queues of the
// sessions deliveries left to it; or, when it was woken with others (a
// round) that have not finished yet, leaves them to the last of those,
// which writes them with its own. So a subscriber whose messages come
// from many publishers at once gets them in one write. Reader goroutine
// only.
func (s *session) flushPending() {
	s.fmu.Lock()
	r := s.round
	if !s.inBatch && r == nil {
		s.fmu.Unlock()
		return
	}
	s.inBatch, s.batchFrames = false, 0
	s.batching, s.lastFrame = false, false
	q := s.flushq
	s.flushq = nil
	s.round, s.roundRead = nil, false
	s.fmu.Unlock()
	if r != nil {
		held, keep := r.Leave(func(h []any) []any {
			for _, sub := range q {
				h = append(h, sub)
			}
			return h
		}, roundStalled)
		if !keep {
			clear(q)
			flushqPool.put(q[:0])
			return
		}
		if len(held) > 0 {
			s.writeHeld(q, held)
			return
		}
	}
	s.writeAll(q)
}

// writeHeld writes the queues of q's sessions and of those a round held.
func (s *session) writeHeld(q []*session, held []any) {
	if q == nil {
		q = flushqPool.get()
	}
	for _, x := range held {
		q = append(q, x.(*session))
	}
	s.writeAll(q)
}

// roundStalled hands the writes a round held to writer goroutines, when
// the round stalled: a reader of it waits on something.
func roundStalled(held []any) {
	for _, x := range held {
		go x.(*session).writeLoop()
	}
}

// appStall is how long an application handler may run before the writes
// its reader left for later are taken from it: a handler may wait on a
// database or a remote service, and the subscribers of what its session
// published before must not wait with it.
const appStall = 10 * time.Millisecond

// enterApp is called by the reader before it calls code of the
// application's (a handler, a hook), or a broker that may wait, which may
// take long: if writes are waiting for it, a timer hands them to writer
// goroutines should the code take longer than appStall (appStalled). Its
// round, if any, neither waits for it nor holds writes for it
// (Round.Block): if nobody else in the round runs, the writes the round
// holds are made now. leaveApp is called when that code returns. Reader
// goroutine only.
func (s *session) enterApp() {
	s.fmu.Lock()
	s.inApp = true
	if len(s.flushq) > 0 {
		if s.stall == nil {
			s.stall = time.AfterFunc(appStall, s.appStalled)
		} else {
			s.stall.Reset(appStall)
		}
	}
	var held []any
	if s.round != nil {
		held = s.round.Block()
		s.blockedIn = s.round
	}
	s.fmu.Unlock()
	if len(held) > 0 {
		s.writeHeld(nil, held)
	}
}

func (s *session) leaveApp() {
	s.fmu.Lock()
	s.inApp = false
	if s.stall != nil {
		s.stall.Stop()
	}
	if r := s.blockedIn; r != nil {
		r.Unblock()
		s.blockedIn = nil
	}
	s.fmu.Unlock()
}

// enterBroker is enterApp before a call into the broker, unless the broker
// is the in-memory one, which never waits; it reports whether it was, and
// leaveApp is then due after the call.
func (s *session) enterBroker() bool {
	if _, inMemory := s.srv.cfg.Broker.(*broker.Memory); inMemory {
		return false
	}
	s.enterApp()
	return true
}

// appStalled hands the writes waiting for a reader still in its
// application handler to writer goroutines, each of which takes on its
// session's writing claim.
func (s *session) appStalled() {
	s.fmu.Lock()
	if !s.inApp {
		s.fmu.Unlock()
		return
	}
	q := s.flushq
	s.flushq = nil
	s.fmu.Unlock()
	for i, sub := range q {
		go sub.writeLoop()
		q[i] = nil
	}
	flushqPool.put(q[:0])
}

// writeAll writes the queues of q's sessions (flushDirect), within
// flushBudget when other cores could take a share, and gives q back.
func (s *session) writeAll(q []*session) {
	if len(q) == 0 {
		flushqPool.put(q)
		return
	}
	var deadline time.Time
	if runtime.GOMAXPROCS(0) > 1 {
		deadline = time.Now().Add(flushBudget)
	}
	buf := directBufs.get() // one copy buffer for the whole flush
	over := false
	for i, sub := range q {
		over = over || !deadline.IsZero() && i%16 == 15 && time.Now().After(deadline)
		if over {
			go sub.writeLoop()
		} else {
			buf = sub.flushDirect(buf[:0])
		}
		q[i] = nil
	}
	directBufs.put(buf)
	flushqPool.put(q[:0])
}

// flushDirect writes what s has queued from the caller's goroutine,
// without blocking, copied into buf; the caller has claimed s's writing
// (deferFlush). What the socket does not take at once, a writer goroutine
// finishes, and one goes on if more was queued meanwhile. It returns buf
// for the next session, or a new one if buf went with the writer.
func (s *session) flushDirect(buf []byte) []byte {
	s.mu.Lock()
	if s.rc == nil || s.closing || s.queued > maxDirect || len(s.queue) == 0 {
		s.mu.Unlock()
		go s.writeLoop()
		return buf
	}
	batch, heads, qbuf := s.takeQueue()
	s.mu.Unlock()

	for i := range batch {
		if !batch[i].raw {
			buf = s.t.appendHeader(buf, batch[i].size(), batch[i].text)
		}
		buf = append(buf, batch[i].head...)
		buf = append(buf, batch[i].shared...)
	}
	n, err := s.writeNow(buf)
	switch {
	case err != nil:
		s.logger().Debug("write failed", "err", err)
		s.endWriting(batch)
		releaseQueue(qbuf, batch, heads)
		s.writerEnded()
		return buf
	case n < len(buf):
		// What the socket did not take still counts against
		// MaxQueuedBytes until the writer has written it.
		s.mu.Lock()
		s.queued += len(buf) - n
		s.mu.Unlock()
		go s.finishDirect(buf, n, batch, heads, qbuf)
		return directBufs.get()
	}
	s.wrote(batch) // counts frames by their heads: before heads go
	releaseQueue(qbuf, batch, heads)
	s.mu.Lock()
	more := len(s.queue) > 0 || s.closing
	if !more {
		s.writing = false
	}
	s.mu.Unlock()
	if more {
		go s.writeLoop()
	}
	return buf
}

// finishDirect is the writer of a session whose socket took only the first
// n bytes of buf: it writes the rest, then goes on as the writer.
func (s *session) finishDirect(buf []byte, n int, batch []outFrame, heads []byte, qbuf *queueBuf) {
	s.conn.SetWriteDeadline(time.Now().Add(s.srv.cfg.WriteTimeout))
	_, err := s.out.Write(buf[n:])
	s.mu.Lock()
	s.queued = max(s.queued-(len(buf)-n), 0) // a cut or the end may have zeroed it meanwhile
	s.mu.Unlock()
	directBufs.put(buf)
	if err != nil {
		s.logger().Debug("write failed", "err", err)
		s.endWriting(batch)
		releaseQueue(qbuf, batch, heads)
		s.writerEnded()
		return
	}
	s.wrote(batch)
	releaseQueue(qbuf, batch, heads)
	s.writeLoop()
}

// writeNow writes as much of b as s's socket takes without waiting. The
// caller holds s's writing.
func (s *session) writeNow(b []byte) (int, error) {
	w := s.direct
	if w == nil {
		w = &directWrite{}
		w.fn = w.write // bound once: a delivery allocates nothing
		s.direct = w
	}
	w.b, w.n, w.err = b, 0, nil
	defer func() { w.b = nil }()
	err := s.rc.Write(w.fn)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The deadline of an earlier, blocking write has passed since; it
		// is not this write's, which never waits.
		s.conn.SetWriteDeadline(time.Time{})
		err = s.rc.Write(w.fn)
	}
	if err != nil {
		return w.n, err
	}
	return w.n, w.err
}

// A directWrite is a session's non-blocking write in progress: the
// function RawConn.Write calls, and what it wrote.
type directWrite struct {
	b   []byte
	n   int
	err error
	fn  func(fd uintptr) bool
}
