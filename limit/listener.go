package limit

import (
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
)

// Listener returns ln with every accepted connection counted against c.
// A newcomer past a budget is handed to refuse (which should write a short
// protocol-appropriate refusal naming the limit, e.g. an HTTP 503 or a STOMP
// ERROR frame) and closed; Accept then waits for the next one, so nobody
// already connected notices. A connection is counted out when it is closed.
//
// Accept also survives running out of file descriptors (EMFILE, ENFILE):
// it logs through w and backs off instead of returning the error, since
// http.Server would otherwise spin.
func Listener(ln net.Listener, c *Conns, refuse func(net.Conn, error), w *Warner) net.Listener {
	return &listener{Listener: ln, c: c, refuse: refuse, w: w}
}

type listener struct {
	net.Listener
	c      *Conns
	refuse func(net.Conn, error)
	w      *Warner
}

// refuseTimeout bounds the write of a refusal: it must fit in the socket's
// buffer, or the newcomer gets nothing but the close.
const refuseTimeout = 100 * time.Millisecond

func (l *listener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				l.w.Warn("accept: out of file descriptors; retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return nil, err
		}
		release, err := l.c.Acquire(conn.RemoteAddr())
		if err != nil {
			l.w.Warn("connection refused", "limit", err.Error(), "remote", conn.RemoteAddr().String())
			if l.refuse != nil {
				conn.SetWriteDeadline(time.Now().Add(refuseTimeout))
				l.refuse(conn, err)
			}
			conn.Close()
			continue
		}
		return &counted{Conn: conn, release: release}, nil
	}
}

// counted is a connection that gives its place back when closed.
type counted struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *counted) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// NetConn returns the connection it counts, for what must reach it
// directly: net.Buffers writes with one writev only to a *net.TCPConn (or
// another connection of package net), and one write per buffer to
// anything wrapping it.
func (c *counted) NetConn() net.Conn { return c.Conn }

// CloseWrite half-closes, when the connection can.
func (c *counted) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
