package sse

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
)

// An Envelope is the JSON in the data field of a "message" event.
type Envelope struct {
	// Destination is where the message was published, e.g. "/topic/chat".
	Destination string `json:"destination"`
	// ContentType is the message's content-type header, if it had one.
	ContentType string `json:"contentType,omitempty"`
	// Encoding is "base64" when Body is the base64 (standard, padded) of
	// a body that is not valid UTF-8; empty when Body is the body itself.
	Encoding string `json:"encoding,omitempty"`
	// Body is the message body.
	Body string `json:"body"`
}

// A Gap is the JSON in the data field of a "gap" event: some messages to
// Destination after LastEventID may be missing, so the client should
// reload what it shows of it.
type Gap struct {
	Destination string `json:"destination"`
	LastEventID string `json:"lastEventId"`
}

// encodeMessage returns the part of m's event that every listener shares:
// everything after the id line.
func encodeMessage(m *broker.Message) []byte {
	e := Envelope{Destination: m.Destination, ContentType: m.Header.Get(frame.HdrContentType)}
	if utf8.Valid(m.Body) {
		e.Body = string(m.Body)
	} else {
		e.Encoding = "base64"
		e.Body = base64.StdEncoding.EncodeToString(m.Body)
	}
	return appendEvent(make([]byte, 0, len(e.Body)+len(e.Destination)+len(e.ContentType)+96), "message", e)
}

// encodeGap returns a whole "gap" event.
func encodeGap(dest, lastID string) []byte {
	return appendEvent(nil, "gap", Gap{Destination: dest, LastEventID: lastID})
}

// appendEvent appends an event of type typ whose data is v as JSON on one
// line: JSON escapes CR and LF inside strings, so the data never breaks
// into several fields.
func appendEvent(b []byte, typ string, v any) []byte {
	buf := bytes.NewBuffer(b)
	buf.WriteString("event: ")
	buf.WriteString(typ)
	buf.WriteString("\ndata: ")
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	enc.Encode(v) // cannot fail for these types; ends the line with '\n'
	buf.WriteByte('\n')
	return buf.Bytes()
}

// newEpoch returns a short random name for a Server's id space.
func newEpoch() string {
	var b [5]byte
	rand.Read(b[:]) // never fails; see crypto/rand
	return base32.StdEncoding.EncodeToString(b[:])
}

// appendID appends the id line of the message numbered seq.
func appendID(b []byte, epoch string, seq uint64) []byte {
	b = append(b, "id: "...)
	b = append(b, epoch...)
	b = append(b, '-')
	b = strconv.AppendUint(b, seq, 10)
	return append(b, '\n')
}

// parseID returns the sequence number in id, an event id of epoch (with
// or without marks). ok is false for an id of another epoch or one that is
// not an event id at all.
func parseID(id, epoch string) (seq uint64, ok bool) {
	id, _, _ = strings.Cut(id, ":")
	e, n, found := strings.Cut(id, "-")
	if !found || e != epoch {
		return 0, false
	}
	seq, err := strconv.ParseUint(n, 10, 64)
	return seq, err == nil
}
