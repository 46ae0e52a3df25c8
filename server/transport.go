package server

import "net"

// A transport frames STOMP bytes for one kind of connection.
type transport interface {
	name() string
	// appendHeader appends what goes before a STOMP frame of n bytes: at
	// most maxTransportHeader bytes.
	appendHeader(dst []byte, n int, text bool) []byte
	// closeFrame returns the bytes that announce a close, or nil.
	closeFrame(code uint16) []byte
	// closeWrite ends the sending side once the last bytes are written.
	closeWrite(c net.Conn)
}

// tcpTransport is STOMP straight on a TCP stream.
type tcpTransport struct{}

func (tcpTransport) name() string                                  { return "tcp" }
func (tcpTransport) appendHeader(dst []byte, _ int, _ bool) []byte { return dst }
func (tcpTransport) closeFrame(uint16) []byte                      { return nil }
func (tcpTransport) closeWrite(c net.Conn)                         { halfClose(c) }

// halfClose sends FIN but keeps reading, so the peer reads everything we
// wrote before it sees the connection end.
func halfClose(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
}

// maxTransportHeader bounds what appendHeader appends: a server's WebSocket
// frame header (2 bytes, 8 more for the length, no mask), with room to spare.
const maxTransportHeader = 14
