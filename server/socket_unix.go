//go:build unix && !aix

package server

import (
	"net"
	"syscall"
)

// The direct socket operations: peeking for input (flush.go, park.go)
// and writing without waiting (flush.go). On other systems (socket_other.go)
// rawConn returns nil, and sessions read and write through their net.Conn
// only.

// rawConn returns c's socket, or nil when c is not one.
func rawConn(c net.Conn) syscall.RawConn {
	sc, ok := vectorTarget(c).(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// peekReady is a RawConn read function that reports whether the socket
// has bytes to read (or has ended, or failed: a read will tell), without
// taking them.
func peekReady(fd uintptr) bool {
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return err != syscall.EAGAIN && err != syscall.EINTR
}

func (w *directWrite) write(fd uintptr) bool {
	for w.n < len(w.b) {
		m, err := syscall.Write(int(fd), w.b[w.n:])
		if m > 0 {
			w.n += m
		}
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return true // the rest is a writer's
		case err != nil:
			w.err = err
			return true
		case m <= 0:
			return true
		}
	}
	return true // never wait here
}
