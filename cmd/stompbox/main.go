package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/chat"
	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/messaging"
	"github.com/stompbox/stompbox/server"
	"github.com/stompbox/stompbox/sse"
	"github.com/stompbox/stompbox/web"
)

// options are the command's settings, from flags and the environment.
type options struct {
	addr           string
	stompAddr      string
	allowedOrigins string
	logLevel       string
	logFormat      string
	shutdownGrace  time.Duration
	stomp          server.Config // limits and timeouts; the rest is set by run
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
	fs.StringVar(&o.allowedOrigins, "allowed-origins", "", "comma-separated origins allowed to open the WebSocket, e.g. https://chat.example.com; empty means same-origin only, * means any")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "text or json")
	fs.DurationVar(&o.shutdownGrace, "shutdown-grace", 10*time.Second, "how long shutdown waits for clients to close")

	c := &o.stomp
	fs.IntVar(&c.Limits.MaxBody, "max-body", frame.DefaultMaxBody, "largest frame body a client may send, in bytes")
	fs.IntVar(&c.Limits.MaxLineLen, "max-header-line", frame.DefaultMaxLineLen, "longest header line a client may send, in bytes")
	fs.IntVar(&c.Limits.MaxHeaders, "max-headers", frame.DefaultMaxHeaders, "most header lines in a client frame")
	fs.IntVar(&c.MaxDestinationLen, "max-destination", broker.MaxDestinationLen, "longest destination, in bytes")
	fs.IntVar(&c.MaxQueuedBytes, "max-queued-bytes", 4<<20, "bytes waiting to be sent to one client before it is closed as a slow consumer")
	fs.IntVar(&c.MaxSubscriptions, "max-subscriptions", 256, "subscriptions per session")
	fs.IntVar(&c.MaxUnacked, "max-unacked", 10000, "unacknowledged messages per session (ack:client and client-individual)")
	fs.IntVar(&c.MaxTransactions, "max-transactions", 16, "open transactions per session")
	fs.IntVar(&c.MaxTransactionBytes, "max-transaction-bytes", 4<<20, "bytes held by a session's open transactions")
	fs.DurationVar(&c.HeartBeatSend, "heartbeat-send", 10*time.Second, "how often the server offers to send heart-beats; 0 turns them off")
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

func main() {
	o, err := parseOptions(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "stompbox:", err)
		os.Exit(2)
	}
	log, err := newLogger(o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stompbox:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, log); err != nil {
		log.Error("stompbox failed", "err", err)
		os.Exit(1)
	}
}

// maxNickname bounds the name a chat user goes by.
const maxNickname = 64

// nickname names a chat session after its CONNECT login header, the name
// typed into the page: a nickname, not an authenticated identity. No login
// means anonymous.
func nickname(_ context.Context, c *server.ConnectRequest) (string, error) {
	name := strings.TrimSpace(c.Header.Get("login"))
	if len(name) > maxNickname {
		return "", nicknameError(fmt.Sprintf("a name may be %d bytes long at most", maxNickname))
	}
	return name, nil
}

type nicknameError string

func (e nicknameError) Error() string       { return string(e) }
func (e nicknameError) ClientError() string { return string(e) }

// run serves until ctx ends, then shuts down gracefully.
func run(ctx context.Context, o *options, log *slog.Logger) error {
	b := broker.NewMemory()
	router := messaging.NewRouter(messaging.Config{Broker: b, Logger: log})
	chat.Register(router, log)

	var origins []string
	for s := range strings.SplitSeq(o.allowedOrigins, ",") {
		if s = strings.TrimSpace(s); s != "" {
			origins = append(origins, s)
		}
	}
	cfg := o.stomp
	cfg.Broker, cfg.App, cfg.Logger, cfg.AllowedOrigins = b, router, log, origins
	cfg.OnConnect = nickname
	stomp := server.New(cfg)
	router.Users = stomp

	events := sse.New(sse.Config{Broker: b, Logger: log})

	mux := http.NewServeMux()
	mux.Handle("/chat-app", stomp)
	mux.Handle("GET /events", events)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.Handle("/", web.Handler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "endpoint", "/chat-app")

	if o.stompAddr != "" {
		tl, err := net.Listen("tcp", o.stompAddr)
		if err != nil {
			hs.Close()
			return err
		}
		go func() { errc <- stomp.Serve(tl) }()
		log.Info("listening for STOMP over TCP", "addr", tl.Addr().String())
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, server.ErrServerClosed) {
			hs.Close()
			stomp.Shutdown(context.Background())
			return err
		}
	}
	log.Info("shutting down", "sessions", stomp.Sessions())
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownGrace)
	defer cancel()
	eerr := events.Shutdown(sctx) // before the HTTP server: it waits for streams
	herr := hs.Shutdown(sctx)
	serr := stomp.Shutdown(sctx)
	log.Info("stopped")
	return errors.Join(eerr, herr, serr)
}
