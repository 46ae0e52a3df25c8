package sse

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// A stream is one client's response. It holds no messages of its own:
// its writer pulls them from its topics' rings, after its cursor, when
// the waker signals that there is news.
type stream struct {
	topics []*topic
	floors []uint64 // per topic: its evicted number at attach
	wake   chan struct{}

	// Set by attach, read by the writer.
	start   uint64   // the number the opening id line names
	lastID  string   // the Last-Event-ID to quote in gap events
	gaps    []string // destinations that open with a gap event
	replays []replay // destinations resumed from the Log
	opening []mark   // per topic: its position in the Log at attach

	// Per topic, for logged destinations: marks is the position the
	// stream's id lines carry (the client has been sent, or need not be
	// sent, everything up to it), skip the position up to which live
	// messages were already replayed from the Log. Written by attach,
	// then by the writer alone.
	marks []mark
	skip  []uint64
	// ahead holds, per topic, positions sent beyond a gap below them: lines
	// can reach a node out of order (two nodes publish 5 and 6, RabbitMQ
	// has 6 first), and a mark must not pass a line the client lacks.
	ahead [][]uint64

	// cursor is the number of the last message collected for writing (or
	// the point the stream starts from); the waker reads it to see who
	// fell behind. next is, per topic, the k of the next message to
	// collect. Both are written by attach, then by the writer alone.
	cursor atomic.Uint64
	next   []uint64

	mu    sync.Mutex
	rc    *http.ResponseController
	cut   bool // ended as a slow consumer
	ended bool // the writer returned: rc is no longer ours to use
}

func newStream(topics []*topic, rc *http.ResponseController) *stream {
	return &stream{
		topics: topics,
		floors: make([]uint64, len(topics)),
		next:   make([]uint64, len(topics)),
		marks:  make([]mark, len(topics)),
		skip:   make([]uint64, len(topics)),
		ahead:  make([][]uint64, len(topics)),
		wake:   make(chan struct{}, 1),
		rc:     rc,
	}
}

func (st *stream) signal() {
	select {
	case st.wake <- struct{}{}:
	default:
	}
}

// errSlow ends a stream whose client does not keep up.
var errSlow = errors.New("sse: slow consumer")

// cutOff ends the stream as a slow consumer: a write under way fails at
// once, and the writer stops.
func (st *stream) cutOff() {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.cut || st.ended {
		return
	}
	st.cut = true
	st.rc.SetWriteDeadline(time.Now()) // not supported: the writer stops at its next write
	st.signal()
}

// arm bounds the next write by timeout, unless the stream is cut off.
func (st *stream) arm(timeout time.Duration) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.cut {
		return errSlow
	}
	st.rc.SetWriteDeadline(time.Now().Add(timeout))
	return nil
}

// end marks the writer gone, and reports whether the stream was cut off.
func (st *stream) end() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.ended = true
	return st.cut
}

// attach makes st a listener of its topics. Its cursor starts at the
// point live messages are numbered from, or, to resume, at lastID; each
// destination whose messages after lastID are not all buffered is resumed
// from the Log if it is logged and lastID marks a position in it, and
// otherwise opens the stream with a gap event; then whatever is buffered
// after lastID is replayed. It reports false if the hub is closed.
func (h *hub) attach(st *stream, lastID string, resume bool) bool {
	var marks []mark
	if resume && h.lg != nil {
		marks = parseMarks(lastID, len(st.topics))
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return false
	}
	last, ok := parseID(lastID, h.epoch)
	if last > h.seq {
		ok = false // from the future: not ours
	}
	if !ok {
		last = 0
	}
	st.start = h.seq
	st.cursor.Store(h.seq)
	if resume {
		st.cursor.Store(last)
		st.lastID = lastID
	}
	st.opening = make([]mark, len(st.topics))
	for i, t := range st.topics {
		st.floors[i] = t.evicted.Load()
		st.next[i] = t.after(st.cursor.Load())
		if t.logged {
			st.opening[i] = t.pos
			if marks != nil {
				st.marks[i] = marks[i]
			}
		}
		if !resume || (ok && last >= t.since && st.floors[i] <= last) {
			continue // the ring holds all it missed
		}
		if t.logged && marks != nil && marks[i].known {
			// Live from now on, and what came before from the Log: drops
			// from the ring up to now are none of this stream's concern.
			st.next[i] = t.after(h.seq)
			st.floors[i] = max(st.floors[i], h.seq)
			st.replays = append(st.replays, replay{t: i, from: marks[i].pos, to: t.pos.pos, toKnown: t.pos.known})
			continue
		}
		st.gaps = append(st.gaps, t.name)
	}
	h.mu.Unlock()
	// Listening after the cursor is set is enough: a message the waker
	// does not wake st for was in the ring before st listened, and the
	// writer's first collect, after this, finds it.
	for i, t := range st.topics {
		t.listen(listener{st: st, floor: st.floors[i]})
	}
	st.signal()
	return true
}

// detach removes st from its topics' listeners and releases them.
func (h *hub) detach(st *stream) {
	for _, t := range st.topics {
		t.unlisten(st)
	}
	h.release(st.topics)
}

// An entry is an item collected for a stream, with the index of its
// topic in the stream.
type entry struct {
	item
	t int
}

// collect appends to batch, in increasing number, the messages of st's
// topics numbered after its cursor and at most limit (the opening id
// while the stream replays, and otherwise the last visible number), until
// they hold maxBytes (at least one message), and moves the cursor past
// them. done reports whether it took every one: the cursor is then at
// limit. Messages of a destination resumed from the Log that were sent
// from it are passed over. It fails with errSlow if a message the stream was not yet sent
// has been dropped from a ring. It takes no lock: publishers never wait
// for it.
func (h *hub) collect(st *stream, opened bool, maxBytes int, batch []entry) (_ []entry, done bool, err error) {
	limit := h.visible.Load() // first: every message up to it is in its ring
	if !opened {
		limit = st.start
	}
	cursor := st.cursor.Load()
	for i, t := range st.topics {
		if ev := t.evicted.Load(); ev > cursor && ev > st.floors[i] {
			return batch, false, errSlow
		}
	}
	for size := 0; size < maxBytes; {
		// The oldest next message: at most MaxDestinations to compare.
		var next *item
		var from int
		for i, t := range st.topics {
			it, dropped := t.get(st.next[i])
			if dropped {
				return batch, false, errSlow
			}
			if it != nil && it.seq <= limit && (next == nil || it.seq < next.seq) {
				next, from = it, i
			}
		}
		if next == nil {
			st.cursor.Store(limit)
			return batch, true, nil
		}
		st.next[from]++
		cursor = next.seq
		if next.logged && next.pos <= st.skip[from] {
			continue // sent from the Log already
		}
		batch = append(batch, entry{item: *next, t: from})
		size += len(next.data) + idLineLen
	}
	st.cursor.Store(cursor)
	return batch, false, nil
}

// idLineLen is about the size of an id line, counted with each message.
const idLineLen = 32

var retryField = []byte("retry: " + strconv.Itoa(retryMillis) + "\n\n")
