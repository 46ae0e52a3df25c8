package sse

import (
	"context"
	"errors"
	"net/http"
	"os"
	"time"

	"github.com/stompbox/stompbox/limit"
)

// batchBytes is about how much a writer collects for one write and flush;
// a single larger message is written alone. A writer holds at most this
// much of messages the rings may have dropped.
const batchBytes = 64 << 10

var keepAliveComment = []byte(": keep-alive\n\n")

// A writer sends a stream to its client. It writes the shared bytes of
// each message as they are (net/http coalesces small writes in its own
// fixed buffers), with an id line from a small scratch before each.
type writer struct {
	h         *hub
	st        *stream
	w         http.ResponseWriter
	rc        *http.ResponseController
	timeout   time.Duration
	maxID     int // MaxLastEventID: longer ids go out without their marks
	maxReplay int // MaxReplay
	warn      *limit.Warner
	batch     []entry
	id        [128]byte // scratch for an id line
}

// run writes st out until ctx or the hub ends, the client fails, or st is
// cut off: first the retry field and gap events, then the messages
// replayed from the Log and from the buffers and the opening id line, then live messages as they come;
// each wake-up drains what is new in batches of about batchBytes, one
// write deadline and one flush each, and a comment goes out after
// keepAlive of silence. A write that times out makes st a slow consumer.
func (wr *writer) run(ctx context.Context, keepAlive time.Duration) error {
	err := wr.loop(ctx, keepAlive)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		err = errSlow
	}
	if wr.st.end() {
		err = errSlow
	}
	return err
}

func (wr *writer) loop(ctx context.Context, keepAlive time.Duration) error {
	st := wr.st
	timer := time.NewTimer(keepAlive)
	defer timer.Stop()
	if err := st.arm(wr.timeout); err != nil {
		return err
	}
	if _, err := wr.w.Write(retryField); err != nil {
		return err
	}
	for _, d := range st.gaps {
		if _, err := wr.w.Write(encodeGap(d, st.lastID)); err != nil {
			return err
		}
	}
	for _, r := range st.replays {
		if err := wr.replay(ctx, r); err != nil {
			return err
		}
	}
	opened := false
	for {
		batch, done, err := wr.h.collect(st, opened, batchBytes, wr.batch[:0])
		if err != nil {
			return err
		}
		if len(batch) > 0 || !opened {
			err = wr.write(batch, done && !opened)
			opened = opened || done
			if err != nil {
				return err
			}
			timer.Reset(keepAlive)
		}
		clear(batch) // drop references to sent bytes
		if cap(batch) > 1024 {
			batch = nil // do not keep a large batch for an idle stream
		}
		wr.batch = batch
		if !done {
			// More is waiting: write it, unless the stream is over.
			select {
			case <-ctx.Done():
				return nil
			case <-wr.h.done:
				return nil
			default:
				continue
			}
		}
		select {
		case <-st.wake:
		case <-timer.C:
			if err := wr.send(keepAliveComment); err != nil {
				return err
			}
			timer.Reset(keepAlive)
		case <-ctx.Done():
			return nil
		case <-wr.h.done:
			return nil
		}
	}
}

// write sends batch, then the opening id line if open, and flushes.
func (wr *writer) write(batch []entry, open bool) error {
	if err := wr.st.arm(wr.timeout); err != nil {
		return err
	}
	st := wr.st
	for _, e := range batch {
		if e.logged {
			st.advance(e.t, e.pos)
		}
		if _, err := wr.w.Write(wr.idLine(e.seq)); err != nil {
			return err
		}
		if _, err := wr.w.Write(e.data); err != nil {
			return err
		}
	}
	if open {
		// Everything in the Log up to where the topics were at attach has
		// been sent, or came before the stream.
		for i, m := range st.opening {
			if m.known && (!st.marks[i].known || m.pos > st.marks[i].pos) {
				st.marks[i] = m
			}
		}
		if _, err := wr.w.Write(append(wr.idLine(st.start), '\n')); err != nil {
			return err
		}
	}
	return wr.rc.Flush()
}

// idLine returns the id line of an event numbered seq: the number, and
// the stream's marks in the Log when it has any, unless they would make
// the id longer than a Last-Event-ID the Server honours.
func (wr *writer) idLine(seq uint64) []byte {
	b := appendID(wr.id[:0], wr.h.epoch, seq)
	n := len(b)
	b = appendMarks(b[:n-1], wr.st.marks)
	if len(b) == n-1 {
		return append(b, '\n')
	}
	if len(b)-len("id: ") > wr.maxID {
		return appendID(b[:0], wr.h.epoch, seq)
	}
	return append(b, '\n')
}

// send writes b and flushes.
func (wr *writer) send(b []byte) error {
	if err := wr.st.arm(wr.timeout); err != nil {
		return err
	}
	if _, err := wr.w.Write(b); err != nil {
		return err
	}
	return wr.rc.Flush()
}
