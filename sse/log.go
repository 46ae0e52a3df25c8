package sse

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stompbox/stompbox/broker"
)

// A Log is an application's durable record of the messages of some
// destinations, shared by every node (package chat's RoomLog keeps its
// rooms' lines in the history store). Through it a stream resumes on any
// node: the event ids of a logged destination carry each message's
// position in the Log, and a stream resuming with such an id is sent what
// it missed from the Log when the Server's own buffer cannot serve it.
//
// Positions of a destination start at 1 and increase by one with each
// message logged, in the order the messages were logged; a message is
// logged before it is published. Every method is called without any of
// the Server's locks held, and must be safe for concurrent use.
type Log interface {
	// Position returns m's position in its destination's log; ok is false
	// when m is not a logged message. It is called once for every message
	// the Server receives, so it must be cheap.
	Position(m *broker.Message) (pos uint64, ok bool)
	// Head returns the position of the newest message logged to dest (0
	// if none yet); ok is false, with a nil error, if dest has no log.
	Head(ctx context.Context, dest string) (pos uint64, ok bool, err error)
	// After returns, oldest first, up to max (at least 1) messages logged
	// to dest after position pos, as they were published. It may return
	// fewer, even when more are logged, to bound their bytes; none only
	// when none are logged after pos.
	After(ctx context.Context, dest string, pos uint64, max int) ([]*broker.Message, error)
}

// replayPage is the most messages asked of Log.After at once.
const replayPage = 200

// headTimeout bounds the Log.Head a topic makes when it is subscribed.
const headTimeout = 5 * time.Second

// A mark is a position in a destination's log, as an event id carries it.
type mark struct {
	pos   uint64
	known bool
}

// parseMarks returns the marks of a Last-Event-ID, one per destination,
// or nil if it has none or not n of them. An event id with marks is
// "<epoch>-<number>:<pos>,<pos>,...", a position per destination of the
// request in order, empty where it is not known.
func parseMarks(id string, n int) []mark {
	_, list, found := strings.Cut(id, ":")
	if !found {
		return nil
	}
	marks := make([]mark, 0, n)
	for s := range strings.SplitSeq(list, ",") {
		if len(marks) == n {
			return nil
		}
		var m mark
		if s != "" {
			pos, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return nil
			}
			m = mark{pos: pos, known: true}
		}
		marks = append(marks, m)
	}
	if len(marks) != n {
		return nil
	}
	return marks
}

// appendMarks appends ":" and the marks, if any is known.
func appendMarks(b []byte, marks []mark) []byte {
	any := false
	for _, m := range marks {
		any = any || m.known
	}
	if !any {
		return b
	}
	for i, m := range marks {
		if i == 0 {
			b = append(b, ':')
		} else {
			b = append(b, ',')
		}
		if m.known {
			b = strconv.AppendUint(b, m.pos, 10)
		}
	}
	return b
}

// A replay is a destination a stream resumes from the Log: the messages
// after position from, up to position to (the newest the topic had seen
// when the stream attached) when that is known; later ones come live.
type replay struct {
	t       int // the topic's index in the stream
	from    uint64
	to      uint64
	toKnown bool
}

// replay sends what the stream missed of one destination from the Log, a
// page at a time, and then lets through only live messages after the
// last one sent. A destination whose messages cannot be replayed (more
// than MaxReplay, a position the Log has not reached, a failed read) gets
// a gap event instead, as does one that finds MaxReplays replays under
// way. Only a failed write is an error. No lock is held.
func (wr *writer) replay(ctx context.Context, r replay) error {
	st, lg, dest := wr.st, wr.h.lg, wr.st.topics[r.t].name
	gap := func() error { return wr.send(encodeGap(dest, st.lastID)) }
	select {
	case wr.h.replays <- struct{}{}:
		defer func() { <-wr.h.replays }()
	default:
		wr.h.replayRefused.Add(1)
		wr.warn.Warn("sse: a replay from the log was refused: too many under way (MaxReplays)", "dest", dest, "max", cap(wr.h.replays))
		return gap()
	}
	if r.toKnown && r.from > r.to {
		// Given by a node that has seen more than this one yet, or made up.
		head, _, err := lg.Head(ctx, dest)
		if err != nil || r.from > head {
			return gap()
		}
		st.skip[r.t] = r.from
		return nil
	}
	if r.toKnown && r.to-r.from > uint64(wr.maxReplay) {
		return gap()
	}
	pos, sent := r.from, 0
	for !r.toKnown || pos < r.to {
		n := min(replayPage, wr.maxReplay-sent)
		if n == 0 {
			n = 1 // only to learn whether there is more
		}
		msgs, err := lg.After(ctx, dest, pos, n)
		if err != nil {
			if ctx.Err() == nil {
				wr.warn.Warn("sse: replay from the log failed", "dest", dest, "err", err)
			}
			return gap()
		}
		if len(msgs) == 0 {
			break
		}
		if sent == wr.maxReplay {
			return gap()
		}
		if err := st.arm(wr.timeout); err != nil {
			return err
		}
		was := pos
		for _, m := range msgs {
			p, ok := lg.Position(m)
			if !ok || p <= pos {
				continue
			}
			pos = p
			st.advance(r.t, p)
			if _, err := wr.w.Write(wr.idLine(st.cursor.Load())); err != nil {
				return err
			}
			if _, err := wr.w.Write(encodeMessage(m)); err != nil {
				return err
			}
			sent++
		}
		if err := wr.rc.Flush(); err != nil {
			return err
		}
		if pos == was {
			break // a Log that does not move on: nothing more to be had
		}
	}
	st.skip[r.t] = pos
	return nil
}

// maxAhead bounds the positions a stream keeps above a gap in a
// destination's log; past it the stream gives up on the gap (a line this
// node never got) and its mark moves on.
const maxAhead = 64

// advance records that the stream was sent position pos of topic t. The
// mark moves only over positions with none missing below them, so an id
// never claims a line the client was not sent; a resume from it may send
// again a few lines the client has, which it tells apart by their ids.
func (st *stream) advance(t int, pos uint64) {
	m := &st.marks[t]
	switch {
	case !m.known:
		*m = mark{pos: pos, known: true}
	case pos <= m.pos:
		return
	case pos == m.pos+1:
		m.pos = pos
	default:
		i, found := slices.BinarySearch(st.ahead[t], pos)
		if !found {
			st.ahead[t] = slices.Insert(st.ahead[t], i, pos)
		}
		if len(st.ahead[t]) <= maxAhead {
			return
		}
		m.pos = st.ahead[t][0] // give up on the gap below the lowest
	}
	// Take in what was sent ahead and now follows on.
	a := st.ahead[t]
	k := 0
	for k < len(a) && a[k] <= m.pos+1 {
		m.pos = max(m.pos, a[k])
		k++
	}
	st.ahead[t] = a[k:]
}
