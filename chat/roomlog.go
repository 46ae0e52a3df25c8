package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/history"
	"github.com/stompbox/stompbox/messaging"
)

// A RoomLog is the rooms' history as the event stream's log (it
// implements sse.Log): the position of a line on /topic/rooms.{room} is
// its id, so an SSE stream of a room resumes from the history store on
// any node, whichever node gave it its Last-Event-ID:
//
//	ec.Log = app.RoomLog()
//	events := sse.New(ec)
//
// Only /topic/rooms.{room} is logged; its .members and .typing topics,
// and every other destination, are not. Safe for concurrent use; it reads
// the store and holds no lock of the App.
type RoomLog struct {
	store history.Store
}

// RoomLog returns the App's rooms as an event-stream log.
func (a *App) RoomLog() *RoomLog { return &RoomLog{store: a.store} }

// logRoom returns the room whose chat lines dest carries.
func logRoom(dest string) (string, bool) {
	room, ok := strings.CutPrefix(dest, roomTopicPrefix)
	return room, ok && ValidRoom(room) // no dots: not .members or .typing
}

// lineIDPrefix starts every Line as the app encodes it (id is its first
// field), so Position reads the id without decoding the whole line.
var lineIDPrefix = []byte(`{"id":`)

// Position returns the id of the chat line m carries, if m is one.
func (l *RoomLog) Position(m *broker.Message) (uint64, bool) {
	if _, ok := logRoom(m.Destination); !ok {
		return 0, false
	}
	if rest, ok := bytes.CutPrefix(m.Body, lineIDPrefix); ok {
		if end := bytes.IndexByte(rest, ','); end > 0 {
			if id, err := strconv.ParseUint(string(rest[:end]), 10, 63); err == nil && id > 0 {
				return id, true
			}
		}
	}
	var line struct {
		ID int64 `json:"id"`
	}
	if json.Unmarshal(m.Body, &line) != nil || line.ID <= 0 {
		return 0, false
	}
	return uint64(line.ID), true
}

// Head returns the id of the newest line in dest's room (0 for a room
// without lines, or none yet).
func (l *RoomLog) Head(ctx context.Context, dest string) (uint64, bool, error) {
	room, ok := logRoom(dest)
	if !ok {
		return 0, false, nil
	}
	lines, err := l.store.Messages(ctx, room, history.Query{Limit: 1})
	if err != nil || len(lines) == 0 {
		return 0, true, err
	}
	return uint64(lines[0].ID), true, nil
}

// After returns up to max of the lines of dest's room after id pos, oldest
// first, as /topic/rooms.{room} carried them; at most history.MaxLimit,
// and at most MaxPageBytes of them (but at least one).
func (l *RoomLog) After(ctx context.Context, dest string, pos uint64, max int) ([]*broker.Message, error) {
	room, ok := logRoom(dest)
	if !ok || pos >= math.MaxInt64 {
		return nil, nil
	}
	lines, err := l.store.Messages(ctx, room, history.Query{After: int64(pos), Limit: min(max, history.MaxLimit)})
	if err != nil {
		return nil, err
	}
	out := make([]*broker.Message, 0, len(lines))
	size := 0
	for _, line := range lines {
		body, err := encodeLine(line)
		if err != nil {
			return nil, err
		}
		if size += len(body); size > MaxPageBytes && len(out) > 0 {
			break
		}
		var h frame.Header
		h.Add(frame.HdrContentType, messaging.ContentTypeJSON)
		out = append(out, broker.NewMessage(dest, h, body))
	}
	return out, nil
}

// encodeLine encodes a line as the router publishes it: JSON, not
// HTML-escaped, on one line.
func encodeLine(line Line) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(line); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
