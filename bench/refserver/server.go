package refserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stompbox/stompbox/bench/wsconn"
)

// Config configures a Server. The zero value is ready to use.
type Config struct {
	// Path is the WebSocket endpoint. Default "/chat-app".
	Path string
	// Logger gets connection errors at debug level. Default slog.Default().
	Logger *slog.Logger
	// WriteTimeout bounds one write to a subscriber. Default 10 s.
	WriteTimeout time.Duration
}

// Subprotocols are the WebSocket subprotocols a Server accepts.
var Subprotocols = []string{"v12.stomp", "v11.stomp", "v10.stomp"}

// A Server is the reference STOMP server.
type Server struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	topics map[string]*topic
	conns  map[*session]struct{}
	lns    map[net.Listener]struct{}
	closed bool

	msgID atomic.Uint64
	wg    sync.WaitGroup
}

// New returns a Server configured by cfg.
func New(cfg Config) *Server {
	if cfg.Path == "" {
		cfg.Path = "/chat-app"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	return &Server{
		cfg:    cfg,
		log:    cfg.Logger,
		topics: make(map[string]*topic),
		conns:  make(map[*session]struct{}),
		lns:    make(map[net.Listener]struct{}),
	}
}

// ErrClosed is returned by the Serve methods once Close was called.
var ErrClosed = errors.New("refserver: closed")

// ServeWS accepts WebSocket connections on ln until Close.
func (s *Server) ServeWS(ln net.Listener) error { return s.serve(ln, true) }

// ServeTCP accepts STOMP over TCP connections on ln until Close.
func (s *Server) ServeTCP(ln net.Listener) error { return s.serve(ln, false) }

func (s *Server) serve(ln net.Listener, ws bool) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return ErrClosed
	}
	s.lns[ln] = struct{}{}
	s.mu.Unlock()
	for {
		c, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return ErrClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond) // e.g. out of file descriptors
				continue
			}
			return err
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(c, ws)
		}()
	}
}

// handle runs one connection: the handshake, then its session.
func (s *Server) handle(c net.Conn, ws bool) {
	sess := &session{srv: s, c: c, ws: ws}
	if ws {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := wsconn.Accept(c, s.cfg.Path, Subprotocols); err != nil {
			s.log.Debug("refserver: handshake", "err", err)
			c.Close()
			return
		}
		c.SetDeadline(time.Time{})
	}
	if !s.add(sess) {
		c.Close()
		return
	}
	defer s.remove(sess)
	sess.run()
}

func (s *Server) add(sess *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[sess] = struct{}{}
	return true
}

func (s *Server) remove(sess *session) {
	s.mu.Lock()
	delete(s.conns, sess)
	s.mu.Unlock()
	sess.c.Close()
	for _, sub := range sess.subs {
		s.unsubscribe(sub)
	}
}

// Close stops the listeners, closes every connection and waits for their
// goroutines, or for ctx to end.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for ln := range s.lns {
		ln.Close()
	}
	for sess := range s.conns {
		sess.c.Close()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Conns is how many connections are open.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// ServeLoopback serves s on two new loopback listeners, WebSocket and
// TCP, in goroutines of their own until s is closed, and returns where:
// a reference server inside a test.
func (s *Server) ServeLoopback() (wsURL, tcpAddr string, err error) {
	wl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", "", err
	}
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		wl.Close()
		return "", "", err
	}
	go s.ServeWS(wl)
	go s.ServeTCP(tl)
	return "ws://" + wl.Addr().String() + "/chat-app", tl.Addr().String(), nil
}
