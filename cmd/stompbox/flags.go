package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/chat"
	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/server"
	"github.com/stompbox/stompbox/sse"
)

// options are the command's settings, from flags and the environment.
type options struct {
	addr           string
	stompAddr      string
	allowedOrigins string
	logLevel       string
	logFormat      string
	shutdownGrace  time.Duration
	debugAddr      string
	metricsAddr    string
	stomp          server.Config       // limits and timeouts; the rest is set by run
	broker         broker.MemoryConfig // the in-memory broker's budgets
	sse            sse.Config          // the event stream endpoint's budgets
	chat           chat.Config         // the chat's rate limits; the rest is set by run
	data           string              // the directory of the SQLite history
	history        string              // "" (SQLite under data) or a postgres:// URL
	brokerURL      string              // "" (in memory) or an amqp:// URL
	maxRooms       int
	maxNames       int
	maxHistory     int64

	maxConns, maxConnsPerIP                     int
	readHeaderTimeout, readTimeout, idleTimeout time.Duration
}

// envName is the environment variable that sets a flag: -max-body is
// STOMPBOX_MAX_BODY.
func envName(flagName string) string {
	return "STOMPBOX_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("stompbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.addr, "addr", ":8080", "HTTP address: the web app at /, STOMP over WebSocket at /chat-app, /healthz")
	fs.StringVar(&o.stompAddr, "stomp-addr", "", "plain TCP STOMP address, e.g. 127.0.0.1:61613; off when empty")
	fs.StringVar(&o.allowedOrigins, "allowed-origins", "", "comma-separated origins allowed to open the WebSocket, e.g. https://chat.example.com; * means any; empty means same-origin, trusted only when the server is reached by IP address or localhost (a host name must be listed, against DNS rebinding)")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "text or json")
	fs.DurationVar(&o.shutdownGrace, "shutdown-grace", 10*time.Second, "how long shutdown waits for clients to close")
	fs.StringVar(&o.data, "data", "./data", "directory of the chat history (SQLite, stompbox.db), created if missing")
	fs.StringVar(&o.brokerURL, "broker", "", "the message broker: empty for the in-memory one (one node), or amqp://user@host:5672/vhost for RabbitMQ shared by many nodes (topics cross nodes; queues stay on their node for now); put the password in STOMPBOX_BROKER, not on the command line")
	fs.StringVar(&o.history, "history", "", "where the chat history is kept: empty for SQLite under -data, or postgres://user@host:5432/db for PostgreSQL shared by many nodes (put the password in PGPASSWORD or STOMPBOX_HISTORY, not on the command line)")
	fs.StringVar(&o.debugAddr, "debug-addr", "", "address for /debug/pprof/, /debug/vars (counters, goroutines) and /metrics, e.g. 127.0.0.1:6060; off when empty; never expose it publicly")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "address serving only /metrics (Prometheus), e.g. 10.0.0.5:9464, for a scraper that must not reach -debug-addr's profiler; off when empty. Counts only, no messages, destinations or names; still, keep it off the public internet")

	fs.IntVar(&o.maxConns, "max-connections", 10000, "connections open at once, WebSocket, SSE, HTTP and TCP together; newcomers past it get 503 or an ERROR frame")
	fs.IntVar(&o.maxConnsPerIP, "max-connections-per-ip", 1000, "connections one client IP address (IPv6: one /64) may hold at once")
	fs.DurationVar(&o.readHeaderTimeout, "http-read-header-timeout", 10*time.Second, "how long a client may take to send an HTTP request's headers")
	fs.DurationVar(&o.readTimeout, "http-read-timeout", 30*time.Second, "how long a client may take to send a whole HTTP request (WebSocket and SSE streams are not bound by it)")
	fs.DurationVar(&o.idleTimeout, "http-idle-timeout", 60*time.Second, "how long an idle keep-alive HTTP connection is kept open")

	c := &o.stomp
	fs.IntVar(&c.Limits.MaxBody, "max-body", frame.DefaultMaxBody, "largest frame body a client may send, in bytes")
	fs.IntVar(&c.Limits.MaxLineLen, "max-header-line", frame.DefaultMaxLineLen, "longest header line a client may send, in bytes")
	fs.IntVar(&c.Limits.MaxHeaders, "max-headers", frame.DefaultMaxHeaders, "most header lines in a client frame")
	fs.IntVar(&c.MaxDestinationLen, "max-destination", broker.MaxDestinationLen, "longest destination, in bytes")
	fs.IntVar(&c.MaxQueuedBytes, "max-queued-bytes", 4<<20, "bytes waiting to be sent to one client before it is closed as a slow consumer")
	fs.IntVar(&c.MaxSubscriptions, "max-subscriptions", 256, "subscriptions per session")
	fs.IntVar(&c.MaxUnacked, "max-unacked", 10000, "unacknowledged messages per session (ack:client and client-individual)")
	fs.Int64Var(&c.MaxUnackedBytes, "max-unacked-bytes", 16<<20, "bytes of unacknowledged messages per session")
	fs.IntVar(&c.Prefetch, "prefetch", 100, "queue messages one subscription may have in flight (unwritten or unacknowledged) unless its SUBSCRIBE sets prefetch-count")
	bc := &o.broker
	fs.IntVar(&bc.MaxHeld, "max-held", broker.DefaultMaxHeld, "messages one queue holds while no consumer has room (with -broker: each RabbitMQ queue's x-max-length)")
	fs.Int64Var(&bc.MaxQueueBytes, "max-queue-bytes", broker.DefaultMaxQueueBytes, "bytes one queue holds while no consumer has room (with -broker: each RabbitMQ queue's x-max-length-bytes)")
	fs.Int64Var(&bc.MaxBytes, "max-broker-bytes", broker.DefaultMaxBytes, "bytes all queues hold together")
	fs.IntVar(&bc.MaxDestinations, "max-destinations", broker.DefaultMaxDestinations, "destinations the broker knows at once (with a subscriber or held messages)")
	fs.IntVar(&bc.MaxPatterns, "max-patterns", broker.DefaultMaxPatterns, "pattern subscriptions (/topic/rooms.*) of all sessions together")
	ec := &o.sse
	fs.IntVar(&ec.MaxStreams, "max-sse-streams", sse.DefaultMaxStreams, "SSE streams (GET /events) open at once")
	fs.IntVar(&ec.MaxTopics, "sse-max-topics", sse.DefaultMaxTopics, "destinations SSE streams listen to at once, idle ones included")
	fs.IntVar(&ec.MaxIdleTopics, "sse-max-idle-topics", sse.DefaultMaxIdleTopics, "destinations kept for resuming after their last SSE stream left")
	fs.IntVar(&ec.MaxLastEventID, "sse-max-last-event-id", sse.DefaultMaxLastEventID, "longest Last-Event-ID honoured (and quoted in a gap event); longer ones are ignored")
	fs.IntVar(&ec.MaxReplays, "sse-max-replays", sse.DefaultMaxReplays, "SSE streams being sent what they missed from the history at once; one more gets a gap event and reloads")
	fs.IntVar(&ec.MaxReplay, "sse-max-replay", sse.DefaultMaxReplay, "chat lines an SSE stream of a room is sent from the history when it resumes (on any node); one that missed more gets a gap event and reloads")
	cc := &o.chat
	fs.Float64Var(&cc.ChatRate, "chat-rate", 5, "chat lines (and new rooms) one session may send a second, after its burst")
	fs.IntVar(&cc.ChatBurst, "chat-burst", 20, "chat lines (and new rooms) one session may send at once")
	fs.DurationVar(&cc.TypingInterval, "typing-interval", time.Second, "least time between one session's typing events")
	fs.DurationVar(&cc.PresenceInterval, "presence-interval", 10*time.Second, "how often a node tells the others who is in its rooms; a node silent for three intervals is forgotten and its users leave")
	cc.LinesPerIP, cc.RoomsPerIP, cc.ClaimsPerIP = chat.Rate{Burst: 200, PerSecond: 20}, chat.Rate{Burst: 50, PerSecond: 0.1}, chat.Rate{Burst: 100, PerSecond: 1}
	fs.Var(&cc.LinesPerIP, "lines-per-ip", "chat lines from one client address (IPv6: /64), all its sessions together: BURST,PER_SECOND")
	fs.Var(&cc.RoomsPerIP, "rooms-per-ip", "new rooms from one client address: BURST,PER_SECOND")
	fs.Var(&cc.ClaimsPerIP, "claims-per-ip", "newly claimed names from one client address (names claimed before cost nothing): BURST,PER_SECOND")
	fs.IntVar(&o.maxRooms, "max-rooms", 10000, "chat rooms that may exist")
	fs.IntVar(&o.maxNames, "max-names", 1000000, "names that may be claimed")
	fs.Int64Var(&o.maxHistory, "max-history-bytes", 8<<30, "bytes of chat lines (names and text) the history keeps; past it new lines are refused")
	fs.IntVar(&c.MaxTransactions, "max-transactions", 16, "open transactions per session")
	fs.IntVar(&c.MaxTransactionBytes, "max-transaction-bytes", 4<<20, "bytes held by a session's open transactions")
	fs.DurationVar(&c.HeartBeatSend, "heartbeat-send", 10*time.Second, "how often the server offers to send heart-beats (at least 100ms); 0 turns them off")
	fs.DurationVar(&c.HeartBeatReceive, "heartbeat-receive", 10*time.Second, "how often the server asks clients for heart-beats; 0 turns that off")
	fs.DurationVar(&c.HeartBeatMax, "heartbeat-max", time.Minute, "slowest client heart-beat accepted")
	fs.DurationVar(&c.ConnectTimeout, "connect-timeout", 10*time.Second, "how long a connection may take to send CONNECT")

	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "stompbox serves a STOMP 1.0-1.2 chat: the web app, STOMP over WebSocket and TCP.\n\nUsage: stompbox [flags]\n\nFlags (each can also be set by the environment variable STOMPBOX_<NAME>,\ne.g. STOMPBOX_ADDR or STOMPBOX_MAX_BODY; a flag on the command line wins):\n")
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nExample:\n  stompbox -addr 127.0.0.1:8080 -stomp-addr 127.0.0.1:61613\n")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(envName(f.Name)); v != "" && !set[f.Name] && err == nil {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %v", envName(f.Name), v, e)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	// In Config zero means "the default"; on the command line it means off.
	for _, d := range []*time.Duration{&c.HeartBeatSend, &c.HeartBeatReceive} {
		if *d == 0 {
			*d = -1
		}
	}
	return o, nil
}

func newLogger(o *options, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, fmt.Errorf("invalid -log-level %q: want debug, info, warn or error", o.logLevel)
	}
	ho := &slog.HandlerOptions{Level: level}
	switch o.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return nil, fmt.Errorf("invalid -log-format %q: want text or json", o.logFormat)
}
