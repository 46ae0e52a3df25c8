// Package wsconn is the WebSocket framing that stompbench and the reference
// server share: a [Reader] that turns a connection's WebSocket frames into
// the stream of their payloads without a buffer of its own, and
// [AppendFrame], which lays one frame (header and, for a client, masked
// payload) into a caller's buffer so that a whole batch goes out in one
// write. [Dial] and [Accept] do the opening handshake with
// github.com/gobwas/ws.
//
// The Reader strips frame headers in place, in the slice the caller's own
// reader (a frame.Reader) passed to Read, so a connection costs about 200
// bytes here whatever it receives: the point when one process holds 20,000
// of them. Control frames are taken out of the stream; a ping is handed to
// the Reader's OnPing, a close ends the stream with io.EOF.
//
// It is built for benchmarking, not as a general WebSocket library: it does
// not check that text is UTF-8, does not enforce the 125-byte control-frame
// limit on what it sends, and accepts fragmented messages as one stream
// (which is what STOMP over WebSocket needs). A Reader is not safe for
// concurrent use; AppendFrame is.
package wsconn
