package server

import (
	"sync/atomic"

	"github.com/stompbox/stompbox/frame"
)

// Stats are a Server's counters since it started: what it holds now, the
// frames it has read and written, and every documented way a message can be
// dropped (see docs/guarantees.md).
type Stats struct {
	Sessions int // open sessions, connected or not
	// QueuedBytes is what waits in all sessions' outbound queues now.
	QueuedBytes int64

	// FramesIn counts frames read from clients, by command: every client
	// command is present, a server command only once a client sent one.
	// Frames that do not decode are not counted.
	FramesIn map[string]uint64
	// FramesOut counts frames written to clients, by command (CONNECTED,
	// MESSAGE, RECEIPT, ERROR; all four present). Heart-beats are not
	// frames; a frame counts once its write has succeeded.
	FramesOut map[string]uint64
	// Deliveries counts MESSAGE frames written: FramesOut["MESSAGE"].
	Deliveries uint64
	// BytesOut counts the bytes of the frames written, without the
	// transport's framing (WebSocket headers).
	BytesOut uint64

	SlowConsumers uint64 // sessions closed because MaxQueuedBytes was exceeded
	// TopicDropped counts topic messages a subscriber did not get after
	// all: those a slow consumer's cut discarded unwritten, and those an
	// ack:client or client-individual subscriber NACKed or left
	// unacknowledged. A topic message is never kept for a subscriber.
	TopicDropped uint64
	// Requeued counts queue messages given back to the broker: NACKed,
	// left unacknowledged by a session that ended, or queued to a session
	// that was closed before they were written.
	Requeued uint64
	// UserUnreachable counts SENDs to /user/{name}/... that reached no
	// session; with a receipt header the sender got an ERROR instead.
	UserUnreachable uint64
}

// counters are the Server's atomic counters behind Stats.
type counters struct {
	slowConsumers, topicDropped, requeued, userUnreachable atomic.Uint64
}

// Stats returns a snapshot of the counters. It visits every session (under
// the Server's lock, taking each session's lock in turn), so it costs in
// proportion to the sessions open: call it when asked (a scrape), not per
// message.
func (srv *Server) Stats() Stats {
	c := &srv.counters
	st := Stats{
		SlowConsumers:   c.slowConsumers.Load(),
		TopicDropped:    c.topicDropped.Load(),
		Requeued:        c.requeued.Load(),
		UserUnreachable: c.userUnreachable.Load(),
	}
	srv.mu.Lock()
	st.Sessions = len(srv.sessions)
	sum := srv.ended
	for s := range srv.sessions {
		sum.add(&s.frames)
		st.QueuedBytes += int64(s.queuedBytes())
	}
	srv.mu.Unlock()
	st.FramesIn = make(map[string]uint64, len(commands))
	for i, cmd := range commands {
		if n := sum.in[i]; n > 0 || i < clientCommands {
			st.FramesIn[cmd] = n
		}
	}
	st.FramesOut = make(map[string]uint64, len(outCommands))
	for i, cmd := range outCommands {
		st.FramesOut[cmd] = sum.out[i]
	}
	st.Deliveries, st.BytesOut = sum.out[outMessage], sum.bytesOut
	return st
}

// commands are the STOMP commands counted in FramesIn, clients' first.
var commands = [...]string{
	frame.CONNECT, frame.STOMP, frame.SEND, frame.SUBSCRIBE, frame.UNSUBSCRIBE,
	frame.ACK, frame.NACK, frame.BEGIN, frame.COMMIT, frame.ABORT, frame.DISCONNECT,
	frame.CONNECTED, frame.MESSAGE, frame.RECEIPT, frame.ERROR,
}

const clientCommands = 11 // commands[:clientCommands] are what clients send

// outCommands are the commands counted in FramesOut, told apart by their
// first byte.
var outCommands = [...]string{frame.CONNECTED, frame.MESSAGE, frame.RECEIPT, frame.ERROR}

const (
	outConnected = iota
	outMessage
	outReceipt
	outError
)

// frameCounts are one session's frame counters. Only the session's reader
// adds to in and only its writer to out and bytesOut (once per batch), so
// the atomics are never contended; Stats reads them at any time. When the
// session ends its counts move into Server.ended.
type frameCounts struct {
	in       [len(commands)]atomic.Uint64
	_        [64]byte // the reader's and the writer's counters on their own cache lines
	out      [len(outCommands)]atomic.Uint64
	bytesOut atomic.Uint64
}

// frameSums are frameCounts added up: Server.ended, guarded by Server.mu.
type frameSums struct {
	in       [len(commands)]uint64
	out      [len(outCommands)]uint64
	bytesOut uint64
}

func (t *frameSums) add(c *frameCounts) {
	for i := range c.in {
		t.in[i] += c.in[i].Load()
	}
	for i := range c.out {
		t.out[i] += c.out[i].Load()
	}
	t.bytesOut += c.bytesOut.Load()
}

// countIn counts a frame read; the reader calls it.
func (c *frameCounts) countIn(cmd string) {
	for i := range commands {
		if commands[i] == cmd {
			c.in[i].Add(1)
			return
		}
	}
}

// countOut counts the frames of a batch that was written, with one atomic
// add per command present; the writer calls it. Raw transport frames and
// heart-beats are not counted.
func (c *frameCounts) countOut(batch []outFrame) {
	var n [len(outCommands)]uint64
	var bytes uint64
	for i := range batch {
		o := &batch[i]
		if o.raw || len(o.head) == 0 {
			continue
		}
		switch o.head[0] {
		case 'M':
			n[outMessage]++
		case 'R':
			n[outReceipt]++
		case 'E':
			n[outError]++
		case 'C':
			n[outConnected]++
		default:
			continue // a heart-beat
		}
		bytes += uint64(o.size())
	}
	for i, k := range n {
		if k > 0 {
			c.out[i].Add(k)
		}
	}
	if bytes > 0 {
		c.bytesOut.Add(bytes)
	}
}
