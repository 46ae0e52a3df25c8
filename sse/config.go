package sse

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/stompbox/stompbox/broker"
)

// Config configures a Server. Zero fields get the defaults their comments
// name; only Broker is required.
type Config struct {
	// Broker is what streams listen to. Required.
	Broker broker.Broker
	// Logger receives the endpoint's logs. Default slog.Default().
	Logger *slog.Logger

	// Authenticate names the user of a request ("" = anonymous); an error
	// refuses it with 401. Its text is shown to the client only if it has
	// a ClientError() string method. Default: everyone is anonymous.
	Authenticate func(r *http.Request) (user string, err error)
	// Authorize decides whether user may listen to destination; an error
	// refuses the request with 403 naming the destination (and the error's
	// ClientError() text, if it has one). The stompbox command wires the
	// same policy here as for STOMP SUBSCRIBE. Default: everything allowed.
	Authorize func(ctx context.Context, user, destination string) error

	// KeepAlive is how long a stream may be idle before the server sends a
	// comment line (": keep-alive"), so that proxies keep it open and a dead
	// client is noticed. Default 15s.
	KeepAlive time.Duration
	// BufferSize is how many messages are kept per destination for clients
	// that reconnect with Last-Event-ID. Default 256.
	BufferSize int
	// BufferBytes bounds the bytes of encoded messages kept per destination;
	// the oldest are dropped first, but the newest is always kept.
	// Default 4 MiB.
	BufferBytes int
	// BufferAge is how long a destination's broker subscription and buffer
	// are kept after its last listener leaves, so that a quick reconnect
	// can resume. Default 2m.
	BufferAge time.Duration
	// MaxStreams bounds the streams served at once; past it a request gets
	// 503 naming the limit, with Retry-After, and nobody else is affected.
	// Default 10000 (each stream costs a goroutine, a connection and a few
	// KiB; its messages are shared).
	MaxStreams int
	// MaxIdleTopics bounds the destinations kept after their last stream
	// ended (see BufferAge); past it, the longest idle are dropped at once.
	// Default 1024.
	MaxIdleTopics int
	// MaxTopics bounds the destinations the Server listens to at once, idle
	// ones included. A request that needs one more when none is idle (an
	// idle one would be dropped to make room) is refused with 503.
	// Default 10000.
	MaxTopics int
	// MaxDestinations is how many distinct destinations one request may
	// listen to. Default 16.
	MaxDestinations int
	// MaxLastEventID is the longest Last-Event-ID a request may send (a
	// real one, "<epoch>-<number>", has at most 29 bytes; with a Log, its
	// positions follow, and an id they would make longer than this goes
	// out without them). A longer one is malformed: the stream resumes as
	// from an unusable id, and its gap events quote the id as "".
	// Default 64.
	MaxLastEventID int
	// Log, when set, is the application's durable record of some
	// destinations (package chat keeps its rooms' lines in the history
	// store): their event ids carry each message's position in it, and a
	// stream that resumes with an id this Server's buffers cannot serve (it
	// was given by another node, or before a restart, or the buffer has
	// moved past it) is sent what it missed from the Log instead of a gap.
	// Default: none; streams resume from this Server's buffers only.
	Log Log
	// MaxReplay bounds the messages one resuming stream is sent from Log
	// per destination; a stream that missed more gets a gap event for it
	// instead (and reloads). Default 1000.
	MaxReplay int
	// MaxReplays bounds the streams being sent what they missed from Log
	// at once, on this Server: a reconnect storm reads the history at most
	// this many ways at a time. A stream past it gets a gap event for the
	// destination (and reloads). Default 64.
	MaxReplays int
	// WriteTimeout bounds each write to a stream (of about 64 KiB, or one
	// larger message); a client that takes longer to accept it is cut off
	// as a slow consumer. Default 10s.
	WriteTimeout time.Duration
}

// Defaults.
const (
	DefaultKeepAlive       = 15 * time.Second
	DefaultBufferSize      = 256
	DefaultBufferBytes     = 4 << 20
	DefaultBufferAge       = 2 * time.Minute
	DefaultMaxDestinations = 16
	DefaultMaxLastEventID  = 64
	DefaultMaxStreams      = 10000
	DefaultMaxIdleTopics   = 1024
	DefaultMaxTopics       = 10000
	DefaultWriteTimeout    = 10 * time.Second
	DefaultMaxReplay       = 1000
	DefaultMaxReplays      = 64
)

// retryMillis is the reconnection delay each stream asks the browser for.
const retryMillis = 2000

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.KeepAlive <= 0 {
		c.KeepAlive = DefaultKeepAlive
	}
	if c.BufferSize <= 0 {
		c.BufferSize = DefaultBufferSize
	}
	if c.BufferBytes <= 0 {
		c.BufferBytes = DefaultBufferBytes
	}
	if c.BufferAge <= 0 {
		c.BufferAge = DefaultBufferAge
	}
	if c.MaxStreams <= 0 {
		c.MaxStreams = DefaultMaxStreams
	}
	if c.MaxIdleTopics <= 0 {
		c.MaxIdleTopics = DefaultMaxIdleTopics
	}
	if c.MaxTopics <= 0 {
		c.MaxTopics = DefaultMaxTopics
	}
	if c.MaxDestinations <= 0 {
		c.MaxDestinations = DefaultMaxDestinations
	}
	if c.MaxLastEventID <= 0 {
		c.MaxLastEventID = DefaultMaxLastEventID
	}
	if c.MaxReplay <= 0 {
		c.MaxReplay = DefaultMaxReplay
	}
	if c.MaxReplays <= 0 {
		c.MaxReplays = DefaultMaxReplays
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
}
