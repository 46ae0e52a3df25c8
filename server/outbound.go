package server

import (
	"crypto/tls"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
)

// An outFrame is one unit the writer sends. For a STOMP frame, head is the
// session's own bytes and shared (if any) the publish-wide bytes that follow
// them; the transport frames head+shared as one message. A raw outFrame is
// already framed for the transport (WebSocket control frames).
type outFrame struct {
	head, shared []byte
	text         bool
	raw          bool
	topic        bool // a topic MESSAGE: counted as dropped if a cut discards it

	// A MESSAGE whose head enqueue writes (appendHead) into the session's
	// heads buffer: for subscription msg, delivery number n.
	msg                 *subscription
	n                   uint64
	ackHdr, redelivered bool

	// An ack:auto queue MESSAGE: its subscription's in-flight count drops
	// once it is written, and the message goes back to the queue if it
	// never is.
	sub *subscription
	m   *broker.Message
}

func (o *outFrame) size() int { return len(o.head) + len(o.shared) }

// enqueue adds o to the session's queue without blocking. Past the queue's
// byte limit the session is failed as a slow consumer instead. It reports
// whether o was queued.
func (s *session) enqueue(o outFrame) bool { return s.enqueueFrom(o, nil) }

// enqueueFrom is enqueue for a message that origin's reader is publishing:
// if a writer must be started, origin may take the write on instead, after
// its batch of input (see flush.go). A writer that lingers, waiting for
// more, is retired for that: it ends, and the write is origin's or, if
// origin refuses it, a new writer's.
func (s *session) enqueueFrom(o outFrame, origin *session) bool {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return false
	}
	if s.qbuf == nil {
		s.takeQueueBuf()
	}
	if o.msg != nil {
		start := len(s.heads)
		s.heads = s.appendHead(s.heads, &o)
		o.head = s.heads[start:len(s.heads):len(s.heads)]
	}
	if s.queued+o.size() > s.srv.cfg.MaxQueuedBytes {
		if o.msg != nil {
			s.heads = s.heads[:len(s.heads)-len(o.head)]
		}
		s.mu.Unlock()
		s.srv.counters.slowConsumers.Add(1)
		if o.topic {
			s.srv.counters.topicDropped.Add(1)
		}
		s.close(&ProtocolError{Message: "slow consumer",
			Detail: "more than " + strconv.Itoa(s.srv.cfg.MaxQueuedBytes) + " bytes were waiting to be sent to this session"}, nil, true)
		return false
	}
	s.queue = append(s.queue, o)
	s.queued += o.size()
	start := s.claimWriter()
	retired := false
	if !start && origin != nil && s.lingering {
		// The writer is waiting for more: the publisher's reader can write
		// this (and what follows) itself; the writer, retired, ends.
		s.lingering = false
		s.writerGen++
		retired = true
	}
	s.mu.Unlock()
	if retired {
		s.startOrWake(false) // so that the retired writer ends now, whoever writes next
	}
	if (start || retired) && origin != nil {
		switch origin.deferFlush(s) {
		case flushLater:
			return true
		case flushNow:
			directBufs.put(s.flushDirect(directBufs.get()))
			return true
		}
	}
	if retired {
		go s.writeLoop() // the writing is ours to hand on, not the retired writer's
		return true
	}
	s.startOrWake(start)
	return true
}

// send encodes f for the session's version and enqueues it.
func (s *session) send(f *frame.Frame) bool {
	return s.enqueue(outFrame{head: frame.AppendFrame(nil, f, s.version()), text: true})
}

// reply is send for the reader, while it handles a frame: the write is
// made with the batch's others (flush.go), not by a writer goroutine
// started, and lingering, for one reply.
func (s *session) reply(f *frame.Frame) bool {
	o := outFrame{head: frame.AppendFrame(nil, f, s.version()), text: true}
	if s.rc == nil {
		return s.enqueue(o) // no direct writes (TLS): a writer, at once
	}
	return s.enqueueFrom(o, s)
}

// fail sends the ERROR frame for err (past the queue limit, as the last
// frame) and closes the session once it is written. Later frames are
// dropped. It is safe to call from any goroutine, more than once.
func (s *session) fail(err *ProtocolError, receipt []byte) { s.close(err, receipt, false) }

// close is fail, optionally discarding what is still queued first: a slow
// consumer would never read it. Discarded ack:auto queue messages go back
// to their queues when the writer ends; discarded topic messages are
// counted as dropped.
func (s *session) close(err *ProtocolError, receipt []byte, discard bool) {
	out := outFrame{head: frame.AppendFrame(nil, errorFrame(err, receipt), s.version()), text: true}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	if discard {
		var dropped uint64
		for _, o := range s.queue {
			switch {
			case o.m != nil:
				s.orphans = append(s.orphans, o)
			case o.topic:
				dropped++
			}
		}
		s.srv.counters.topicDropped.Add(dropped)
		clear(s.queue)
		s.queue, s.queued = s.queue[:0], 0
	}
	s.queue = append(s.queue, out)
	s.queued += out.size()
	s.closing = true
	s.closeCode = 1000
	s.mu.Unlock()
	s.logger().Info("session error", "err", err.Error())
	if budgetErrors[err.Message] {
		s.srv.warn.Warn("client over a budget: closed", "limit", err.Message, "session", s.id, "remote", s.conn.RemoteAddr().String())
	}
	s.wakeWriter()
}

// closeWith closes the session after what is queued has been written,
// sending a WebSocket close with code.
func (s *session) closeWith(code uint16) {
	s.mu.Lock()
	if !s.closing {
		s.closing = true
		s.closeCode = code
	}
	s.mu.Unlock()
	s.wakeWriter()
}

// queuedBytes returns the bytes waiting to be written.
func (s *session) queuedBytes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queued
}

// startOrWake starts a writer if the caller claimed that role, or else
// wakes the one that runs, in case it waits for more.
func (s *session) startOrWake(start bool) {
	if start {
		go s.writeLoop()
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// writerLinger is how long a writer waits for more after its queue runs
// dry before it ends: a session with steady traffic keeps its goroutine,
// an idle one has none after this long.
const writerLinger = 2 * time.Second

// claimWriter reports whether the caller must start a writer for what it
// queued: none is running. s.mu must be held.
func (s *session) claimWriter() bool {
	if s.writing {
		return false
	}
	s.writing = true
	return true
}

// wakeWriter makes sure a writer will see what is queued (or that the
// session is closing), starting one if none is running.
func (s *session) wakeWriter() {
	s.mu.Lock()
	start := s.claimWriter()
	s.mu.Unlock()
	s.startOrWake(start)
}

// heartbeat runs when the connection has been quiet for the negotiated
// interval: it sends an end-of-line, writing it on its own goroutine if no
// writer is running.
func (s *session) heartbeat() {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	if len(s.queue) == 0 {
		s.queue = append(s.queue, outFrame{head: eol, text: true})
		s.queued++
	}
	start := s.claimWriter()
	s.mu.Unlock()
	if start {
		s.writeLoop()
	} else {
		s.startOrWake(false)
	}
}

// writeLoop is the session's writer while it has something to write: a
// goroutine runs it only then, so an idle session has none. It drains the
// whole queue into one vectored write until the queue is empty, and, once
// the session is closing and the queue is empty, sends the transport's
// close, half-closes the connection, and gives back queue messages that
// were never written. Heart-beats come from an alarm (heartbeat.go).
func (s *session) writeLoop() {
	var (
		batch  []outFrame
		heads  []byte    // the buffer batch's MESSAGE heads are in
		qbuf   *queueBuf // the pooled box of both, if any
		linger = time.NewTimer(writerLinger)
		idle   bool // the linger ran out with nothing to write
		gen    = -1 // s.writerGen when this writer started
	)
	defer linger.Stop()
	for {
		s.mu.Lock()
		switch {
		case gen < 0:
			gen = s.writerGen
		case gen != s.writerGen:
			// Retired while lingering: a publisher's reader took the
			// writing over (enqueueFrom). A wake-up this writer took may
			// have been meant for the next one: pass it on.
			s.mu.Unlock()
			s.startOrWake(false)
			return
		}
		s.lingering = false
		batch, heads, qbuf = s.takeQueue()
		closing, code := s.closing, s.closeCode
		if len(batch) == 0 && !closing {
			releaseQueue(qbuf, batch, heads)
			if idle {
				s.writing = false // the next enqueue starts a writer
				s.mu.Unlock()
				return
			}
			s.lingering = true
			s.mu.Unlock()
			select {
			case <-s.wake:
			case <-linger.C:
				idle = true
			}
			continue
		}
		s.mu.Unlock()
		idle = false

		if closing {
			if c := s.t.closeFrame(code); c != nil {
				batch = append(batch, outFrame{head: c, raw: true})
			}
		}
		if len(batch) > 0 {
			if err := s.write(batch); err != nil {
				s.logger().Debug("write failed", "err", err)
				s.endWriting(batch)
				s.writerEnded()
				return
			}
			linger.Reset(writerLinger)
			s.wrote(batch)
			releaseQueue(qbuf, batch, heads)
			batch, heads, qbuf = nil, nil, nil
		}
		if closing {
			s.t.closeWrite(s.conn)
			s.endWriting(nil)
			s.writerEnded()
			return
		}
	}
}

// wrote is what follows a batch's write: no heart-beat is due for an
// interval, and the batch is settled and counted.
func (s *session) wrote(batch []outFrame) {
	s.wroteAt()
	s.written(batch)
	s.frames.countOut(batch)
}

// A queueBuf is a session's queue while it has one: the frames and the
// buffer their MESSAGE heads are in, pooled together, so that a delivery to
// an idle session costs one pool operation each way and allocates
// nothing, and an idle session holds neither.
type queueBuf struct {
	frames []outFrame
	heads  []byte
}

var queueBufs = sync.Pool{New: func() any {
	return &queueBuf{frames: make([]outFrame, 0, 16), heads: make([]byte, 0, 2<<10)}
}}

// The largest queue and heads buffer put back in the pool.
const (
	maxPooledFrames = 8192
	maxPooledHeads  = 256 << 10
)

// takeQueueBuf gives the session a pooled queue. s.mu must be held, and
// the session must have none.
func (s *session) takeQueueBuf() {
	s.qbuf = queueBufs.Get().(*queueBuf)
	s.queue = append(s.qbuf.frames[:0], s.queue...) // a close or heart-beat may have queued without one
	s.heads = s.qbuf.heads[:0]
	s.qbuf.frames, s.qbuf.heads = nil, nil
}

// takeQueue takes what is queued for writing. s.mu must be held.
func (s *session) takeQueue() ([]outFrame, []byte, *queueBuf) {
	batch, heads, qbuf := s.queue, s.heads, s.qbuf
	s.queue, s.heads, s.qbuf, s.queued = nil, nil, nil, 0
	return batch, heads, qbuf
}

// releaseQueue gives a written batch's buffers back to the pool.
func releaseQueue(qbuf *queueBuf, batch []outFrame, heads []byte) {
	if qbuf == nil {
		if cap(batch) == 0 && cap(heads) == 0 {
			return
		}
		qbuf = new(queueBuf)
	}
	clear(batch) // drop references to sent bytes
	if cap(batch) <= maxPooledFrames {
		qbuf.frames = batch[:0]
	}
	if cap(heads) <= maxPooledHeads {
		qbuf.heads = heads[:0]
	}
	queueBufs.Put(qbuf)
}

// writerEnded is the end of the session's last writer: reads stop, the
// heart-beat timer too, and the session may finish.
func (s *session) writerEnded() {
	s.stopHeartbeats()
	s.stopReading()
	close(s.writerDone)
}

// written settles the in-flight count of the ack:auto queue messages in a
// batch that has been written, acknowledges those that came from an
// upstream broker, and resumes subscriptions that were starved.
func (s *session) written(batch []outFrame) {
	if !slices.ContainsFunc(batch, func(o outFrame) bool { return o.sub != nil }) {
		return
	}
	s.acks.mu.Lock()
	for i := range batch {
		if sub := batch[i].sub; sub != nil {
			sub.inflight--
		}
	}
	resume := s.acks.takeStarved()
	s.acks.mu.Unlock()
	for i := range batch {
		if batch[i].sub != nil && batch[i].m.Upstream != nil {
			batch[i].m.Upstream.Ack()
		}
	}
	s.resume(resume)
}

// endWriting closes the queue for good and gives back every ack:auto queue
// message that was not surely written: those of unsent (a failed batch,
// which may have been partly written: they are redelivered, marked so),
// those a slow-consumer cut discarded, and those still queued.
func (s *session) endWriting(unsent []outFrame) {
	s.mu.Lock()
	s.closing = true
	rest, _, _ := s.takeQueue()
	orphans := s.orphans
	s.orphans = nil
	s.mu.Unlock()
	var ps []*pendingAck
	for _, list := range [][]outFrame{unsent, orphans, rest} {
		for _, o := range list {
			if o.m != nil {
				ps = append(ps, &pendingAck{sub: o.sub, m: o.m})
			}
		}
	}
	s.requeue(ps)
}

var eol = []byte{'\n'}

// The vector a batch is written from is taken from a pool when needed and
// given back once the batch is written.
var vectorsPool = sync.Pool{New: func() any { return new(vector) }}

// A slicePool recycles slices of T, keeping those of capacity up to max;
// a new one has room for initial. The boxes a sync.Pool needs (a slice is
// not a pointer) are recycled too, so that neither get nor put allocates.
type slicePool[T any] struct {
	p, boxes     sync.Pool
	initial, max int
}

func (sp *slicePool[T]) get() []T {
	bp, ok := sp.p.Get().(*[]T)
	if !ok {
		return make([]T, 0, sp.initial)
	}
	b := (*bp)[:0]
	*bp = nil
	sp.boxes.Put(bp)
	return b
}

func (sp *slicePool[T]) put(b []T) {
	if cap(b) == 0 || cap(b) > sp.max {
		return
	}
	bp, _ := sp.boxes.Get().(*[]T)
	if bp == nil {
		bp = new([]T)
	}
	*bp = b
	sp.p.Put(bp)
}

// A vector is what one batch is written from: the transport headers, and
// the list of byte slices for writev.
type vector struct {
	scratch []byte
	bufs    net.Buffers
}

// maxPooledVector is the most frames a vector put back in the pool has
// room for.
const maxPooledVector = 8192

// write sends batch with one vectored write: transport headers go into
// a pooled scratch buffer, and each frame's head and shared bytes are
// referenced, not copied.
func (s *session) write(batch []outFrame) error {
	v := vectorsPool.Get().(*vector)
	// Room for every transport header up front, so scratch never moves
	// and each header can be referenced as soon as it is appended.
	scratch := slices.Grow(v.scratch[:0], maxTransportHeader*len(batch))
	bufs := v.bufs[:0]
	for i := range batch {
		if !batch[i].raw {
			n := len(scratch)
			scratch = s.t.appendHeader(scratch, batch[i].size(), batch[i].text)
			if h := scratch[n:len(scratch):len(scratch)]; len(h) > 0 {
				bufs = append(bufs, h)
			}
		}
		bufs = append(bufs, batch[i].head)
		if len(batch[i].shared) > 0 {
			bufs = append(bufs, batch[i].shared)
		}
	}
	s.conn.SetWriteDeadline(time.Now().Add(s.srv.cfg.WriteTimeout))
	keep := bufs
	_, err := bufs.WriteTo(s.out)
	clear(keep) // drop references to sent bytes
	if len(batch) <= maxPooledVector {
		v.scratch, v.bufs = scratch, keep[:0]
		vectorsPool.Put(v)
	}
	return err
}

// vectorTarget returns the connection beneath c's wrappers (those with a
// NetConn method, as limit's and crypto/tls's have): net.Buffers makes
// one writev only on a connection of package net itself, and one write
// per buffer on anything wrapping it, three system calls a MESSAGE.
func vectorTarget(c net.Conn) net.Conn {
	for {
		w, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return c
		}
		if _, tls := c.(*tls.Conn); tls {
			return c // writes must go through the TLS layer
		}
		c = w.NetConn()
	}
}
