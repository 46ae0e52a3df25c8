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
	"github.com/stompbox/stompbox/messaging"
	"github.com/stompbox/stompbox/server"
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
}

func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("stompbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&o.addr, "addr", env("STOMPBOX_ADDR", ":8080"), "HTTP address: the web app at /, STOMP over WebSocket at /chat-app, /healthz (env STOMPBOX_ADDR)")
	fs.StringVar(&o.stompAddr, "stomp-addr", env("STOMPBOX_STOMP_ADDR", ""), "plain TCP STOMP address, e.g. 127.0.0.1:61613; off when empty (env STOMPBOX_STOMP_ADDR)")
	fs.StringVar(&o.allowedOrigins, "allowed-origins", env("STOMPBOX_ALLOWED_ORIGINS", ""), "comma-separated origins allowed to open the WebSocket, e.g. https://chat.example.com; empty means same-origin only, * means any (env STOMPBOX_ALLOWED_ORIGINS)")
	fs.StringVar(&o.logLevel, "log-level", env("STOMPBOX_LOG_LEVEL", "info"), "debug, info, warn or error (env STOMPBOX_LOG_LEVEL)")
	fs.StringVar(&o.logFormat, "log-format", env("STOMPBOX_LOG_FORMAT", "text"), "text or json (env STOMPBOX_LOG_FORMAT)")
	fs.DurationVar(&o.shutdownGrace, "shutdown-grace", 10*time.Second, "how long shutdown waits for clients to close")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "stompbox serves a STOMP 1.0-1.2 chat: the web app, STOMP over WebSocket and TCP.\n\nUsage: stompbox [flags]\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nExample:\n  stompbox -addr 127.0.0.1:8080 -stomp-addr 127.0.0.1:61613\n")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
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
	stomp := server.New(server.Config{Broker: b, App: router, Logger: log, AllowedOrigins: origins})

	mux := http.NewServeMux()
	mux.Handle("/chat-app", stomp)
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
	herr := hs.Shutdown(sctx)
	serr := stomp.Shutdown(sctx)
	log.Info("stopped")
	return errors.Join(herr, serr)
}
