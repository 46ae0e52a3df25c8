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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stompbox/stompbox/chat"
	"github.com/stompbox/stompbox/limit"
	"github.com/stompbox/stompbox/messaging"
	"github.com/stompbox/stompbox/metrics"
	"github.com/stompbox/stompbox/server"
	"github.com/stompbox/stompbox/sse"
	"github.com/stompbox/stompbox/web"
)

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
	store, err := openHistory(ctx, o, log)
	if err != nil {
		return err
	}
	defer store.Close() // after the sessions, whose handlers write to it
	reg := metrics.NewRegistry()
	timed := metrics.TimeStore(store)
	handlers := metrics.NewHandlers()
	reg.MustRegister(timed, handlers)

	b, err := openBroker(ctx, o, log)
	if err != nil {
		return err
	}
	defer b.Close()
	router := messaging.NewRouter(messaging.Config{Broker: b.Broker, Logger: log, OnHandled: handlers.Observe})
	cc := o.chat
	cc.Store, cc.Router, cc.Logger = timed, router, log
	app, err := chat.New(ctx, cc)
	if err != nil {
		return err
	}
	app.Register(router)

	var origins []string
	for s := range strings.SplitSeq(o.allowedOrigins, ",") {
		if s = strings.TrimSpace(s); s != "" {
			origins = append(origins, s)
		}
	}
	cfg := o.stomp
	cfg.Broker, cfg.App, cfg.Logger, cfg.AllowedOrigins = b.Broker, router, log, origins
	cfg.OnConnect, cfg.OnSend, cfg.OnSubscribe, cfg.OnEvent = app.Connect, app.AuthorizeSend, app.AuthorizeSubscribe, app.OnEvent
	stomp := server.New(cfg)
	router.Users = stomp

	ec := o.sse
	// Rooms' lines resume from the history store, on any node.
	ec.Broker, ec.Logger, ec.Log = b.Broker, log, app.RoomLog()
	events := sse.New(ec)

	mux := http.NewServeMux()
	mux.Handle("/chat-app", stomp)
	mux.Handle("GET /events", events)
	mux.Handle("GET /api/rooms/{room}/messages", app.HistoryHandler())
	// /healthz: the process serves (200), and says how the broker is;
	// /readyz: 503 while the broker is down, for a load balancer to route
	// new clients elsewhere.
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\nbroker: "+b.state()+"\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !b.healthy() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		io.WriteString(w, "broker: "+b.state()+"\n")
	})
	mux.Handle("/", web.Handler())
	hs := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: o.readHeaderTimeout,
		ReadTimeout:       o.readTimeout,
		IdleTimeout:       o.idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	// One budget for every connection: WebSocket, SSE, plain HTTP and TCP.
	conns := &limit.Conns{Max: o.maxConns, PerIP: o.maxConnsPerIP}
	registerMetrics(reg, conns, stomp, events, b)
	warn := limit.NewWarner(log, time.Second)
	raw, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	ln := limit.Listener(raw, conns, refuseHTTP, warn)
	errc := make(chan error, 4)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("listening", "addr", raw.Addr().String(), "endpoint", "/chat-app", "url", openURL(raw.Addr()))

	if o.stompAddr != "" {
		tl, err := net.Listen("tcp", o.stompAddr)
		if err != nil {
			hs.Close()
			return err
		}
		go func() { errc <- stomp.Serve(limit.Listener(tl, conns, refuseSTOMP, warn)) }()
		log.Info("listening for STOMP over TCP", "addr", tl.Addr().String())
	}

	var ds *http.Server
	if o.debugAddr != "" {
		dl, err := net.Listen("tcp", o.debugAddr)
		if err != nil {
			hs.Close()
			stomp.Shutdown(context.Background())
			return err
		}
		ds = &http.Server{Handler: debugHandler(metrics.Handler(reg), func() map[string]any {
			return map[string]any{
				"connections": conns.Stats(),
				"stomp":       stomp.Stats(),
				"broker":      b.stats(),
				"sse":         events.Stats(),
			}
		}), ReadHeaderTimeout: o.readHeaderTimeout}
		go func() { errc <- ds.Serve(dl) }()
		log.Info("listening for debug", "addr", dl.Addr().String(), "paths", "/debug/pprof/ /debug/vars /metrics")
	}
	var ms *http.Server
	if o.metricsAddr != "" {
		ml, err := net.Listen("tcp", o.metricsAddr)
		if err != nil {
			hs.Close()
			stomp.Shutdown(context.Background())
			if ds != nil {
				ds.Close()
			}
			return err
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics.Handler(reg))
		ms = &http.Server{Handler: mux, ReadHeaderTimeout: o.readHeaderTimeout, MaxHeaderBytes: maxHeaderBytes}
		go func() { errc <- ms.Serve(ml) }()
		log.Info("listening for metrics", "addr", ml.Addr().String(), "path", "/metrics")
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
	app.Close() // after the sessions: their leaves have gone out
	for _, s := range []*http.Server{ds, ms} {
		if s != nil {
			s.Close()
		}
	}
	log.Info("stopped")
	return errors.Join(eerr, herr, serr)
}

// maxHeaderBytes bounds an HTTP request's headers (net/http's default is
// 1 MiB); the app needs a few hundred bytes.
const maxHeaderBytes = 64 << 10

// openURL is the address to open in a browser for a listener on addr.
func openURL(addr net.Addr) string {
	host, port := "localhost", ""
	if ta, ok := addr.(*net.TCPAddr); ok {
		port = strconv.Itoa(ta.Port)
		if !ta.IP.IsUnspecified() && !ta.IP.IsLoopback() {
			host = ta.IP.String()
		}
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
