package broker

import (
	"sync"
	"unicode/utf8"

	"github.com/stompbox/stompbox/frame"
)

// A Message is one published message. Build it with NewMessage; once
// published it is shared by every subscriber and must not change.
type Message struct {
	// Destination is where it was published, e.g. "/topic/chat".
	Destination string
	// Header holds the headers passed on to subscribers (content-type and
	// user headers); never destination, content-length or server-owned ones.
	Header frame.Header
	// Body is the payload.
	Body []byte
	// Redelivered marks a queue message given out again after a
	// subscriber did not acknowledge it.
	Redelivered bool
	// Shown, when set, is the destination subscribers see in place of
	// Destination: a private destination (/queue/reply@SESSION) shows as
	// the user destination it was subscribed to (/user/queue/reply).
	Shown string
	// Upstream, when set, is the handle of a queue message this node took
	// from an upstream broker (RabbitMQ): the server calls its Ack once the
	// message is done with here. Messages of the memory broker have none.
	Upstream Upstream

	origin any // OriginKey's value in Publish's context, while Publish runs

	text bool
	enc  [3]struct {
		once sync.Once
		b    []byte
	}
}

// serverOwned are headers a publisher may not set: the server writes them.
var serverOwned = map[string]bool{
	frame.HdrDestination: true, frame.HdrContentLength: true, frame.HdrMessageID: true,
	frame.HdrSubscription: true, frame.HdrAck: true, frame.HdrReceipt: true,
	frame.HdrReceiptID: true, frame.HdrTransaction: true, "redelivered": true,
	"user-name": true, "user-id": true, frame.HdrSession: true,
}

// NewMessage returns a message for destination with a copy of the headers
// that may be passed on (server-owned ones are dropped) and the body, which
// it keeps without copying.
func NewMessage(destination string, h frame.Header, body []byte) *Message {
	m := &Message{Destination: destination, Body: body, text: utf8.Valid(body)}
	keep := 0
	for _, f := range h {
		if !serverOwned[string(f.Key)] {
			keep++
		}
	}
	if keep > 0 {
		m.Header = make(frame.Header, 0, keep)
		for _, f := range h {
			if !serverOwned[string(f.Key)] {
				m.Header = append(m.Header, f)
			}
		}
		m.Header = m.Header.Clone()
	}
	return m
}

// messageOverhead is what a held message costs beyond its bytes: the
// Message itself and its slice headers, roughly.
const messageOverhead = 160

// Size is what m counts against the broker's byte budgets: its
// destination, headers and body, and a fixed overhead.
func (m *Message) Size() int64 {
	n := len(m.Destination) + len(m.Shown) + len(m.Body) + messageOverhead
	for _, f := range m.Header {
		n += len(f.Key) + len(f.Value) + 48
	}
	return int64(n)
}

// Redelivery returns a copy of m marked Redelivered, sharing its header
// and body.
func (m *Message) Redelivery() *Message {
	return &Message{Destination: m.Destination, Shown: m.Shown, Header: m.Header, Body: m.Body, Redelivered: true, Upstream: m.Upstream, text: m.text}
}

// IsText reports whether the body is valid UTF-8 (and so may travel in a
// WebSocket text message).
func (m *Message) IsText() bool { return m.text }

// Encoded returns the part of a MESSAGE frame that every subscriber shares,
// encoded once for version v: the destination and other header lines, the
// content-length, the blank line, the body and the NUL. A subscriber writes
// "MESSAGE\n" and its own header lines before it. The result must not be
// modified.
func (m *Message) Encoded(v frame.Version) []byte {
	i := int(v) - 1
	if i < 0 || i >= len(m.enc) {
		i = int(frame.V1_2) - 1
		v = frame.V1_2
	}
	e := &m.enc[i]
	e.once.Do(func() {
		n := len(m.Destination) + len(m.Body) + 64
		for _, f := range m.Header {
			n += len(f.Key) + len(f.Value) + 2
		}
		b := make([]byte, 0, n)
		shown := m.Destination
		if m.Shown != "" {
			shown = m.Shown
		}
		b = frame.AppendHeader(b, frame.HdrDestination, shown, v)
		for _, f := range m.Header {
			b = frame.AppendHeader(b, string(f.Key), f.Value, v)
		}
		b = frame.AppendContentLength(b, len(m.Body))
		b = append(b, '\n')
		b = append(b, m.Body...)
		e.b = append(b, 0)
	})
	return e.b
}

// OriginKey is the context key of a publisher's origin: a value the
// memory broker hands to subscribers (Message.Origin) while it delivers a
// topic message inside Publish, holding no lock of its own, so that the
// subscriber may do more than queue the message there: write it, even
// call the broker. A server puts its publishing session there, so that a
// subscriber's session can leave its write to the publisher, who makes
// its subscribers' writes itself (see package server). Subscribers must
// not keep it.
type OriginKey struct{}

// Origin returns the OriginKey value of the context m is being published
// with, while a topic message is delivered inside Publish to its
// destination's own subscribers; nil otherwise (pattern subscribers, queue
// messages, messages from an upstream broker, other brokers, and
// PublishAll), where the broker may hold a lock. Publish sets it on m
// itself: one *Message must not be published twice at once.
func (m *Message) Origin() any { return m.origin }
