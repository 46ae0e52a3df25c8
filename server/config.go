package server

import (
	"log/slog"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
)

// Config configures a Server. The zero value of every field is replaced by
// the default its comment gives.
type Config struct {
	// Broker routes SEND frames to /topic/ and /queue/ destinations and
	// holds subscriptions. Default: a new broker.NewMemory().
	Broker broker.Broker
	// App handles SEND frames to application destinations (/app/...).
	// Default: none; such frames get an ERROR.
	App Application
	// Logger receives structured logs. Default: slog.Default().
	Logger *slog.Logger

	// OnConnect names the user of each connecting client. Default: every
	// session is anonymous.
	OnConnect ConnectHandler
	// OnSubscribe and OnSend authorize each SUBSCRIBE and SEND by
	// destination. Default: everything allowed.
	OnSubscribe, OnSend AuthorizeHandler
	// OnEvent receives session events. Default: none.
	OnEvent EventHandler

	// Limits bound each frame a connected client sends. Default: the frame
	// package's defaults (8 KiB lines, 64 headers, 1 MiB body).
	Limits frame.Limits
	// ConnectLimits bound frames before CONNECTED. Default: 1 KiB lines,
	// 16 headers, 1 KiB body.
	ConnectLimits frame.Limits
	// MaxQueuedBytes bounds the bytes waiting to be written to one
	// session; past it the session is closed as a slow consumer.
	// Default: 4 MiB.
	MaxQueuedBytes int
	// MaxSubscriptions bounds a session's subscriptions. Default: 256.
	MaxSubscriptions int
	// MaxUnacked bounds the messages a session holds unacknowledged on
	// ack:client and client-individual subscriptions. Default: 10000.
	MaxUnacked int
	// MaxUnackedBytes bounds the bytes (as broker.Message.Size counts them)
	// of a session's unacknowledged messages. Past it a queue message is
	// left in its queue for later; a topic message ends the session with
	// an ERROR. Default: 16 MiB.
	MaxUnackedBytes int64
	// Prefetch is how many queue messages one subscription may have in
	// flight (ack:auto: queued to the socket and not yet written;
	// ack:client and client-individual: not yet acknowledged) when its
	// SUBSCRIBE has no prefetch-count header. The rest wait in the queue,
	// for this or another consumer. Default: 100.
	Prefetch int
	// MaxTransactions bounds a session's open transactions. Default: 16.
	MaxTransactions int
	// MaxTransactionBytes bounds the bytes (headers and bodies) a session's
	// open transactions hold. Default: 4 MiB.
	MaxTransactionBytes int
	// MaxDestinationLen bounds a destination header, in bytes. Default:
	// broker.MaxDestinationLen (1024), which is also the most the memory
	// broker accepts.
	MaxDestinationLen int

	// HeartBeatSend is how often the server offers to send heart-beats,
	// HeartBeatReceive how often it asks the client to. The negotiated
	// interval is the larger of the server's and the client's; zero on
	// either side turns that direction off. A client silent for twice its
	// interval is disconnected. Default: 10s each; negative turns off.
	// HeartBeatSend is at least 100 ms, the resolution of the timing wheel
	// the beats are sent from (beats come up to 150 ms early).
	HeartBeatSend, HeartBeatReceive time.Duration
	// HeartBeatMax is the longest heart-beat interval the server accepts
	// from a client: a CONNECT offering a slower one is refused, so a dead
	// peer is noticed within twice this. The server also beats at least
	// this often. Default: 1m.
	HeartBeatMax time.Duration
	// ConnectTimeout is how long a connection may take to send CONNECT.
	// Default: 10s.
	ConnectTimeout time.Duration
	// WriteTimeout bounds one write to a client. Default: 10s.
	WriteTimeout time.Duration

	// AllowedOrigins lists the Origin values a browser may open the
	// WebSocket from, e.g. "https://chat.example.com"; "*" allows any (and
	// is logged as a warning). Empty means same-origin only, and only when
	// the server is reached by an IP address or localhost: a page served
	// under a host name could have that name rebound to this server (DNS
	// rebinding), so a server reached by name must list its origins.
	// Requests without an Origin header (non-browser clients) are allowed.
	AllowedOrigins []string
	// GoroutinePerConnection keeps a goroutine reading each connection
	// for its whole life. By default (false) a session with nothing to
	// read (before CONNECT too) holds no goroutine, no stack and no read buffer: its
	// socket waits on the process's epoll instance (Linux; elsewhere this
	// is always true in effect), and a goroutine starts when bytes come.
	// That saves about 8 KiB per idle connection for an epoll_ctl and a
	// goroutine start per burst of input. A TLS connection (Serve on a
	// crypto/tls listener) always keeps its goroutine, and its writes
	// always go through a writer goroutine: its socket is not the
	// session's to read or write directly.
	GoroutinePerConnection bool
	// ServerName is sent in CONNECTED's server header. Default:
	// "stompbox/" + Version.
	ServerName string
}

// Version is the stompbox release this package belongs to.
const Version = "0.1.0"

func (c Config) withDefaults() Config {
	if c.Broker == nil {
		c.Broker = broker.NewMemory()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.ConnectLimits == (frame.Limits{}) {
		c.ConnectLimits = frame.Limits{MaxLineLen: 1 << 10, MaxHeaders: 16, MaxBody: 1 << 10}
	}
	if c.MaxQueuedBytes <= 0 {
		c.MaxQueuedBytes = 4 << 20
	}
	if c.MaxSubscriptions <= 0 {
		c.MaxSubscriptions = 256
	}
	if c.MaxUnacked <= 0 {
		c.MaxUnacked = 10000
	}
	if c.MaxUnackedBytes <= 0 {
		c.MaxUnackedBytes = 16 << 20
	}
	if c.Prefetch <= 0 {
		c.Prefetch = 100
	}
	c.Prefetch = min(c.Prefetch, c.MaxUnacked)
	if c.MaxTransactions <= 0 {
		c.MaxTransactions = 16
	}
	if c.MaxTransactionBytes <= 0 {
		c.MaxTransactionBytes = 4 << 20
	}
	if c.MaxDestinationLen <= 0 {
		c.MaxDestinationLen = broker.MaxDestinationLen
	}
	if c.HeartBeatMax <= 0 {
		c.HeartBeatMax = time.Minute
	}
	c.HeartBeatMax = max(c.HeartBeatMax, minHeartBeat)
	c.HeartBeatSend = defaultDuration(c.HeartBeatSend, 10*time.Second)
	if c.HeartBeatSend > 0 && c.HeartBeatSend < minHeartBeat {
		c.HeartBeatSend = minHeartBeat // the timing wheel's resolution (heartbeat.go)
	}
	c.HeartBeatReceive = defaultDuration(c.HeartBeatReceive, 10*time.Second)
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.ServerName == "" {
		c.ServerName = "stompbox/" + Version
	}
	return c
}

func defaultDuration(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}
