package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stompbox/stompbox/bench/wsconn"
	"github.com/stompbox/stompbox/frame"
)

// A conn is one client connection. After setup, one goroutine reads it
// (readLoop); writes, from that goroutine or a publisher's, go through
// write, one at a time.
type conn struct {
	b    *bench
	id   int
	room int
	pub  int           // publisher number, or -1
	recv bool          // subscribed: counts deliveries
	ok   atomic.Bool   // connected (and subscribed)
	beat time.Duration // how often it sends a heart-beat; 0: never (heartbeat.go)
	dead atomic.Bool   // its reader ended, or a beat failed: no more beats

	c    net.Conn
	ws   bool
	mask [4]byte
	rd   *frame.Reader

	wmu  sync.Mutex
	wbuf []byte // framed bytes being written, under wmu

	body []byte // the publisher's scratch for a body
	out  []byte // window mode: SENDs the reader has queued, flushed when it has read everything

	delivered atomic.Uint64 // MESSAGE frames received
	unique    atomic.Uint64 // tr.unique, for the drain to watch
	sent      atomic.Uint64 // publisher: sequence number of the last SEND
	echoed    uint64        // window mode: own messages back (reader only)
	tr        tracker       // reader only until the reader has stopped
}

// dial opens the connection and completes CONNECT, and SUBSCRIBE when
// the connection receives. It returns the time to CONNECTED.
func (c *conn) dial(ctx context.Context) (time.Duration, error) {
	o := c.b.o
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	var r io.Reader
	if o.ws {
		nc, wr, _, err := wsconn.Dial(ctx, o.url, o.protocols(), o.timeout)
		if err != nil {
			return 0, err
		}
		c.c, c.ws = nc, true
		rand.Read(c.mask[:])
		ws := wsconn.NewReader(wr)
		ws.OnPing = func(p []byte) { c.writeFrame(wsconn.OpPong, p) }
		r = ws
	} else {
		var d net.Dialer
		nc, err := d.DialContext(ctx, "tcp", o.addr)
		if err != nil {
			return 0, err
		}
		c.c, r = nc, nc
	}
	c.rd = frame.NewReader(r, frame.Limits{})
	deadline, _ := ctx.Deadline()
	c.c.SetDeadline(deadline)

	kv := []string{frame.HdrAcceptVersion, "1.2,1.1,1.0", frame.HdrHost, hostOf(o.url), frame.HdrHeartBeat, heartbeatHeader(o.heartbeat)}
	if o.login != "" {
		kv = append(kv, frame.HdrLogin, o.login)
	}
	if o.passcode != "" {
		kv = append(kv, frame.HdrPasscode, o.passcode)
	}
	if err := c.writeFrame(wsconn.OpText, frame.AppendFrame(nil, frame.New(frame.CONNECT, kv...), frame.V1_2)); err != nil {
		return 0, err
	}
	var f frame.Frame
	if err := c.expect(&f, frame.CONNECTED); err != nil {
		return 0, err
	}
	took := time.Since(t0)
	if c.beat = beatEvery(o.heartbeat, f.Header.Get(frame.HdrHeartBeat)); c.beat > 0 {
		c.b.beatEvery.CompareAndSwap(0, int64(c.beat))
	}
	if v, ok := frame.ParseVersion(f.Header.Get(frame.HdrVersion)); ok {
		c.rd.SetVersion(v)
	} else {
		c.rd.SetVersion(frame.V1_0)
	}
	if c.recv {
		sub := frame.New(frame.SUBSCRIBE, frame.HdrID, "0", frame.HdrDestination, c.b.dest(c.room), frame.HdrReceipt, "sub")
		if err := c.writeFrame(wsconn.OpText, frame.AppendFrame(nil, sub, frame.V1_2)); err != nil {
			return 0, err
		}
		if err := c.expect(&f, frame.RECEIPT); err != nil {
			return 0, err
		}
	}
	c.c.SetDeadline(time.Time{})
	return took, nil
}

func hostOf(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Hostname()
	}
	return ""
}

// errRefused is an ERROR frame from the server.
type errRefused struct{ msg, body string }

func (e *errRefused) Error() string { return fmt.Sprintf("ERROR %q %q", e.msg, e.body) }

// expect reads one frame during setup and fails unless it is command.
func (c *conn) expect(f *frame.Frame, command string) error {
	if err := c.rd.ReadFrame(f); err != nil {
		return fmt.Errorf("waiting for %s: %w", command, err)
	}
	if f.Command == frame.ERROR {
		return &errRefused{f.Header.Get(frame.HdrMessage), truncate(f.Body)}
	}
	if f.Command != command {
		return fmt.Errorf("got %s, want %s", f.Command, command)
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}

// writeFrame sends one STOMP frame (or, over WebSocket, one frame of op).
func (c *conn) writeFrame(op byte, payload []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(op, payload)
}

// writeLocked is writeFrame with c.wmu held.
func (c *conn) writeLocked(op byte, payload []byte) error {
	if !c.ws {
		_, err := c.c.Write(payload)
		return err
	}
	c.wbuf = wsconn.AppendFrame(c.wbuf[:0], op, payload, &c.mask)
	_, err := c.c.Write(c.wbuf)
	return err
}

// writeBatch sends STOMP frames laid end to end in b, each its own
// WebSocket message, in one write.
func (c *conn) writeBatch(b []byte, ends []int) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.ws {
		_, err := c.c.Write(b)
		return err
	}
	w := c.wbuf[:0]
	start := 0
	for _, end := range ends {
		w = wsconn.AppendFrame(w, wsconn.OpText, b[start:end], &c.mask)
		start = end
	}
	c.wbuf = w
	_, err := c.c.Write(w)
	return err
}

// readLoop reads until the connection ends, counting what arrives.
func (c *conn) readLoop() {
	b := c.b
	defer c.dead.Store(true) // no more heart-beats to it
	var f frame.Frame
	var ends []int
	for {
		if len(c.out) > 0 && c.rd.Buffered() <= 2 {
			// Everything read is handled (but an end-of-line a server may
			// send after each frame, as RabbitMQ does): send what it called
			// for at once. Sending early is only less batching.
			ends = c.flushEnds(ends[:0])
			err := c.writeBatch(c.out, ends)
			c.out = c.out[:0]
			if err != nil {
				if !b.closing.Load() {
					b.socketError(c, err)
				}
				return
			}
		}
		if err := c.rd.ReadFrame(&f); err != nil {
			if !b.closing.Load() {
				b.socketError(c, err)
			}
			return
		}
		switch f.Command {
		case frame.MESSAGE:
			c.message(f.Body)
		case frame.ERROR:
			b.errorFrame(c, f.Header.Get(frame.HdrMessage), f.Body)
		}
	}
}

// message handles one delivery.
func (c *conn) message(body []byte) {
	b := c.b
	now := b.now()
	c.delivered.Add(1)
	pub, seq, t, ok := parseBody(body)
	if !ok {
		c.tr.alien++
		return
	}
	b.record(c.id, now-t)
	if pub%b.o.rooms != c.room {
		c.tr.alien++
		return
	}
	c.tr.see(pub/b.o.rooms, seq)
	c.unique.Store(c.tr.unique)
	if pub == c.pub && b.o.windowed() {
		c.echoed++
		if !b.stopping.Load() {
			c.out = c.appendSend(c.out, b.now())
		}
	}
}

// appendSend appends the publisher's next SEND, stamped t.
func (c *conn) appendSend(dst []byte, t int64) []byte {
	seq := c.sent.Add(1)
	dst = append(dst, "SEND\n"...)
	dst = frame.AppendHeader(dst, frame.HdrDestination, c.b.send(c.room), frame.V1_2)
	dst = append(dst, "content-type:application/json\n"...)
	body := appendBody(c.body[:0], c.pub, seq, t, c.b.o.size)
	c.body = body
	dst = frame.AppendContentLength(dst, len(body))
	dst = append(dst, '\n')
	dst = append(dst, body...)
	return append(dst, 0)
}

// flushEnds returns where each frame in c.out ends (after its NUL).
func (c *conn) flushEnds(ends []int) []int {
	if !c.ws {
		return ends
	}
	// Bodies are JSON without NULs, so every NUL ends a frame.
	for i, x := range c.out {
		if x == 0 {
			ends = append(ends, i+1)
		}
	}
	return ends
}

// close ends the connection.
func (c *conn) close() {
	if c.c != nil {
		c.c.Close()
	}
}

// label names the connection in logs.
func (c *conn) label() string {
	if c.pub >= 0 {
		return "pub-" + strconv.Itoa(c.pub)
	}
	return "sub-" + strconv.Itoa(c.id)
}
