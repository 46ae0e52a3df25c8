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
func (s *session) enqueue(o outFrame) bool {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return false
	}
	if o.msg != nil {
		if s.heads == nil {
			s.heads = headsPool.get()
		}
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
	if s.queue == nil {
		s.queue = framesPool.get()
	}
	s.queue = append(s.queue, o)
	s.queued += o.size()
	start := s.claimWriter()
	s.mu.Unlock()
	s.startOrWake(start)
	return true
}

// send encodes f for the session's version and enqueues it.
func (s *session) send(f *frame.Frame) bool {
	return s.enqueue(outFrame{head: frame.AppendFrame(nil, f, s.version()), text: true})
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
// were never written. Heart-beats come from hbTimer, reset after each
// write.
func (s *session) writeLoop() {
	var (
		batch  []outFrame
		heads  []byte // the pooled buffer batch's MESSAGE heads are in, if any
		linger = time.NewTimer(writerLinger)
		idle   bool // the linger ran out with nothing to write
	)
	defer linger.Stop()
	for {
		s.mu.Lock()
		batch, s.queue = s.queue, nil
		heads, s.heads = s.heads, nil
		s.queued = 0
		closing, code, hb := s.closing, s.closeCode, s.hbTimer
		if len(batch) == 0 && !closing {
			headsPool.put(heads)
			if idle {
				s.writing = false // the next enqueue starts a writer
				s.mu.Unlock()
				return
			}
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
			if hb != nil && !closing {
				hb.Reset(s.heartbeatOut())
			}
			linger.Reset(writerLinger)
			s.written(batch)
			s.frames.countOut(batch)
			// An idle session holds no buffers: they go back to the pools.
			clear(batch) // drop references to sent bytes
			framesPool.put(batch)
			headsPool.put(heads)
			batch, heads = nil, nil
		}
		if closing {
			s.t.closeWrite(s.conn)
			s.endWriting(nil)
			s.writerEnded()
			return
		}
	}
}

// writerEnded is the end of the session's last writer: reads stop, the
// heart-beat timer too, and the session may finish.
func (s *session) writerEnded() {
	s.mu.Lock()
	if s.hbTimer != nil {
		s.hbTimer.Stop()
	}
	s.mu.Unlock()
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
	rest, orphans := s.queue, s.orphans
	s.queue, s.queued, s.orphans = nil, 0, nil
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

// A session's outgoing frames, the buffer their MESSAGE heads are in, and
// the vector a batch is written from are taken from pools when needed and
// given back once the batch is written: a delivery allocates nothing, and
// an idle session holds none of them.
var (
	framesPool  = slicePool[outFrame]{initial: 16, max: 8192}
	headsPool   = slicePool[byte]{initial: 2 << 10, max: 256 << 10}
	vectorsPool = sync.Pool{New: func() any { return new(vector) }}
)

// A slicePool recycles slices of T, keeping those of capacity up to max;
// a new one has room for initial.
type slicePool[T any] struct {
	p            sync.Pool
	initial, max int
}

func (sp *slicePool[T]) get() []T {
	if b, ok := sp.p.Get().(*[]T); ok {
		return (*b)[:0]
	}
	return make([]T, 0, sp.initial)
}

func (sp *slicePool[T]) put(b []T) {
	if cap(b) == 0 || cap(b) > sp.max {
		return
	}
	sp.p.Put(&b)
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
