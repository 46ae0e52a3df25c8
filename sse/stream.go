package sse

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
)

// An item is one thing queued for a stream: a message, whose id line the
// writer adds, or (seq 0) raw bytes sent as they are.
type item struct {
	seq  uint64
	data []byte // shared by every listener; never modified
}

// A stream is one client's response. The hub pushes to its queue without
// blocking; its own goroutine (the request's) writes the queue out.
type stream struct {
	max  int // MaxQueuedBytes
	wake chan struct{}

	mu     sync.Mutex
	queue  []item
	queued int  // bytes of live messages in queue
	cut    bool // ended as a slow consumer
}

// idLineLen is about the size of an id line, counted with each message.
const idLineLen = 32

func newStream(max int) *stream {
	return &stream{max: max, wake: make(chan struct{}, 1)}
}

// push queues a live message, or cuts the stream off if that would put
// more than max bytes in its queue.
func (st *stream) push(it item) {
	n := len(it.data) + idLineLen
	st.mu.Lock()
	if st.cut {
		st.mu.Unlock()
		return
	}
	if st.queued > 0 && st.queued+n > st.max {
		st.cut = true
		clear(st.queue)
		st.queue, st.queued = nil, 0
	} else {
		st.queue = append(st.queue, it)
		st.queued += n
	}
	st.mu.Unlock()
	st.signal()
}

// pushReplay queues a buffered message. It is not counted against max: its
// bytes are held by the buffer anyway, and their number is bounded by it.
func (st *stream) pushReplay(it item) {
	st.mu.Lock()
	st.queue = append(st.queue, it)
	st.mu.Unlock()
	st.signal()
}

// pushRaw queues bytes to be written as they are.
func (st *stream) pushRaw(b []byte) { st.pushReplay(item{data: b}) }

func (st *stream) signal() {
	select {
	case st.wake <- struct{}{}:
	default:
	}
}

// take returns what is queued, leaving the queue empty (reusing buf's
// storage for it), and whether the stream was cut off.
func (st *stream) take(buf []item) ([]item, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	q := st.queue
	st.queue, st.queued = buf[:0], 0
	return q, st.cut
}

var keepAliveComment = []byte(": keep-alive\n\n")

// errSlow ends a stream whose client does not keep up.
var errSlow = errors.New("sse: slow consumer")

// writer sends a stream's queue to its client.
type writer struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	epoch   string
	timeout time.Duration
	buf     []byte
}

// run writes st out until ctx or done ends, the client fails, or st is
// cut off: each wake-up drains the whole queue into one write and one
// flush, and a comment goes out after keepAlive of silence.
func (wr *writer) run(ctx context.Context, st *stream, done <-chan struct{}, keepAlive time.Duration) error {
	timer := time.NewTimer(keepAlive)
	defer timer.Stop()
	var batch []item
	for {
		var cut bool
		batch, cut = st.take(batch)
		if cut {
			return errSlow
		}
		if len(batch) > 0 {
			err := wr.write(batch)
			clear(batch) // drop references to sent bytes
			if err != nil {
				return err
			}
			timer.Reset(keepAlive)
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
		case <-done:
			return nil
		}
	}
}

// write sends batch with one Write and one Flush.
func (wr *writer) write(batch []item) error {
	b := wr.buf[:0]
	for _, it := range batch {
		if it.seq != 0 {
			b = appendID(b, wr.epoch, it.seq)
		}
		b = append(b, it.data...)
	}
	err := wr.send(b)
	if cap(b) > 1<<20 {
		b = nil // do not keep a large buffer for an idle stream
	}
	wr.buf = b
	return err
}

func (wr *writer) send(b []byte) error {
	wr.deadline(time.Now().Add(wr.timeout))
	if _, err := wr.w.Write(b); err != nil {
		return err
	}
	return wr.rc.Flush()
}

// deadline sets the write deadline where the ResponseWriter supports it.
// Without that support, a stuck client holds its stream until it goes.
func (wr *writer) deadline(t time.Time) { wr.rc.SetWriteDeadline(t) }
