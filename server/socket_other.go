//go:build !unix || aix

package server

import (
	"net"
	"syscall"
)

// rawConn returns nil: on this system sessions read and write through
// their net.Conn only (no peeking, no direct writes, no parking).
func rawConn(c net.Conn) syscall.RawConn { return nil }

// peekReady is never called here: rawConn gives no socket to call it on.
func peekReady(fd uintptr) bool { return true }

// write is never called here: rawConn gives no socket to call it on.
func (w *directWrite) write(fd uintptr) bool { return true }
