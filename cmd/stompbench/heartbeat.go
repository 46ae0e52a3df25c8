package main

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/stompbox/stompbox/bench/wsconn"
)

// Heart-beats (-heartbeat). Each connection offers the interval both ways
// in its CONNECT, as browsers' STOMP clients do (10 s by default in
// @stomp/stompjs), and one goroutine sends every connection's beats, an
// end-of-line each, at the interval the server agreed to receive. The
// server's beats need nothing: the frame reader skips them.

// heartbeatHeader is CONNECT's heart-beat header for an interval d.
func heartbeatHeader(d time.Duration) string {
	ms := strconv.FormatInt(d.Milliseconds(), 10)
	return ms + "," + ms
}

// beatEvery returns how often a client that offered cx must send, given
// the server's CONNECTED heart-beat header: the larger of cx and what the
// server asks for, or 0 if either side declines.
func beatEvery(cx time.Duration, connected string) time.Duration {
	_, sy, ok := strings.Cut(connected, ",")
	if !ok || cx <= 0 {
		return 0
	}
	ms, err := strconv.ParseInt(strings.TrimSpace(sy), 10, 64)
	if err != nil || ms <= 0 {
		return 0
	}
	return max(cx, time.Duration(ms)*time.Millisecond)
}

// tryWrite writes a heart-beat unless the connection is writing already
// (which is as good as a beat), so that one connection the server does not
// read holds up nobody else's beats.
func (c *conn) tryWrite(eol []byte) error {
	if !c.wmu.TryLock() {
		return nil
	}
	defer c.wmu.Unlock()
	return c.writeLocked(wsconn.OpText, eol)
}

// beat sends heart-beats on every connection that negotiated them until
// ctx ends or the connections are being closed.
func (b *bench) beat(ctx context.Context) {
	eol := []byte{'\n'}
	for {
		every := time.Duration(b.beatEvery.Load())
		if every <= 0 {
			every = b.o.heartbeat // nobody connected yet: look again then
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
		for _, c := range b.conns {
			if b.closing.Load() {
				return
			}
			if !c.ok.Load() || c.beat == 0 || c.dead.Load() {
				continue
			}
			if err := c.tryWrite(eol); err != nil && !b.closing.Load() {
				c.dead.Store(true) // counted once: its reader sees the end too
				b.socketError(c, err)
			}
		}
	}
}
