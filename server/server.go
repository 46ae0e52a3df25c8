package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/internal/netpoll"
	"github.com/stompbox/stompbox/limit"
)

// A Server runs STOMP sessions over WebSocket (ServeHTTP) and TCP (Serve).
type Server struct {
	cfg Config
	log *slog.Logger

	mu        sync.Mutex
	sessions  map[*session]struct{}
	listeners map[net.Listener]struct{}
	closed    bool
	wg        sync.WaitGroup

	reg      registry
	counters counters
	ended    frameSums     // the frame counts of sessions that have ended, guarded by mu
	warn     *limit.Warner // budget refusals, at most one a second each

	userRouter broker.UserRouter // the broker's, when it routes users between nodes
	poller     *netpoll.Poller   // where idle sessions wait; nil: each keeps a goroutine
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("server: closed")

// New returns a Server with cfg's zero fields set to their defaults.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	srv := &Server{
		cfg:       cfg,
		log:       cfg.Logger,
		sessions:  make(map[*session]struct{}),
		listeners: make(map[net.Listener]struct{}),
		warn:      limit.NewWarner(cfg.Logger, time.Second),
	}
	if !cfg.GoroutinePerConnection {
		srv.poller = netpoll.Default()
	}
	if slices.Contains(cfg.AllowedOrigins, "*") {
		srv.log.Warn("websocket connections are allowed from any origin (AllowedOrigins has \"*\")")
	}
	if ur, ok := cfg.Broker.(broker.UserRouter); ok {
		srv.userRouter = ur
		ur.OnUser(srv.deliverUser)
	}
	return srv
}

// Serve accepts plain TCP STOMP connections on ln until Shutdown or an
// accept error, sharing the broker with WebSocket sessions.
func (srv *Server) Serve(ln net.Listener) error {
	srv.mu.Lock()
	if srv.closed {
		srv.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	srv.listeners[ln] = struct{}{}
	srv.mu.Unlock()
	defer func() {
		srv.mu.Lock()
		delete(srv.listeners, ln)
		srv.mu.Unlock()
	}()
	var delay time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			srv.mu.Lock()
			closed := srv.closed
			srv.mu.Unlock()
			if closed {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				srv.log.Warn("accept failed; retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		go srv.run(conn, tcpTransport{}, conn, nil)
	}
}

// run serves one connection as a session. src is the transport's stream of
// STOMP bytes. It returns when the session ends or, with a poller, when it
// first waits for input: the session then goes on in goroutines the poller
// starts, and ends in forget.
func (srv *Server) run(conn net.Conn, t transport, src io.Reader, req *http.Request) {
	s := srv.newSession(conn, t, req)
	srv.mu.Lock()
	if srv.closed {
		srv.mu.Unlock()
		conn.Close()
		return
	}
	srv.sessions[s] = struct{}{}
	srv.wg.Add(1)
	srv.mu.Unlock()
	if w, ok := src.(*wsReader); ok {
		w.s = s
	}
	s.serve(src)
}

// forget is the end of a session that run began.
func (srv *Server) forget(s *session) {
	srv.mu.Lock()
	delete(srv.sessions, s)
	srv.ended.add(&s.frames)
	srv.mu.Unlock()
	srv.wg.Done()
}

// Sessions returns the number of open sessions.
func (srv *Server) Sessions() int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return len(srv.sessions)
}

// Shutdown stops accepting TCP connections, closes every session (a
// WebSocket close "going away", after what is already queued) and waits for
// them to end or for ctx to be done. The HTTP server that mounts ServeHTTP
// must be shut down by its owner.
func (srv *Server) Shutdown(ctx context.Context) error {
	srv.mu.Lock()
	srv.closed = true
	for ln := range srv.listeners {
		ln.Close()
	}
	for s := range srv.sessions {
		s.closeWith(1001)
	}
	srv.mu.Unlock()
	done := make(chan struct{})
	go func() {
		srv.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		srv.mu.Lock()
		for s := range srv.sessions {
			s.stopReading() // a parked session is woken before its socket goes
			s.conn.Close()
		}
		srv.mu.Unlock()
		return ctx.Err()
	}
}
