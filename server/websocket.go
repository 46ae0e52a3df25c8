package server

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/gobwas/ws"
)

// Subprotocols the endpoint speaks, best first.
var subprotocols = []string{"v12.stomp", "v11.stomp", "v10.stomp"}

// chooseSubprotocol returns the highest STOMP subprotocol the client offers,
// or "" when it offers none (such clients are accepted too).
func chooseSubprotocol(offers []string) string {
	for _, p := range subprotocols {
		for _, line := range offers {
			for item := range strings.SplitSeq(line, ",") {
				if strings.TrimSpace(item) == p {
					return p
				}
			}
		}
	}
	return ""
}

// ServeHTTP upgrades the request to a WebSocket and runs a STOMP session on
// it until the connection ends. Mount it at the STOMP endpoint, /chat-app.
func (srv *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		w.Header().Set("Upgrade", "websocket")
		http.Error(w, "this is a STOMP over WebSocket endpoint: connect with a WebSocket client", http.StatusUpgradeRequired)
		return
	}
	if err := srv.checkOrigin(r); err != nil {
		srv.log.Warn("websocket origin refused", "origin", r.Header.Get("Origin"), "host", r.Host, "err", err)
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	proto := chooseSubprotocol(r.Header.Values("Sec-WebSocket-Protocol"))
	u := ws.HTTPUpgrader{
		Timeout:  srv.cfg.WriteTimeout,
		Protocol: func(p string) bool { return p == proto },
	}
	conn, rw, _, err := u.Upgrade(r, w)
	if err != nil {
		srv.log.Debug("websocket upgrade failed", "err", err)
		if conn != nil {
			conn.Close()
		}
		return
	}
	// Bytes the client sent right after the handshake may wait in
	// net/http's reader: they are taken over, and the session reads the
	// connection itself through a small buffer of its own. It runs on a
	// goroutine of its own and ServeHTTP returns, so that net/http lets go
	// of what it kept for the request (its 4 KiB read and write buffers,
	// the handler's deep stack): an idle WebSocket costs that much less.
	wr := &wsReader{conn: conn}
	if n := rw.Reader.Buffered(); n > 0 {
		early, _ := rw.Reader.Peek(n)
		wr.br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(early)), wsSocket{wr}), max(n, wsReadBuffer))
		wr.br.Peek(n) // buffered, so the session reads them before it waits
	}
	go srv.run(conn, wsTransport{}, wr, r)
}

// wsReadBuffer is the buffer a WebSocket session reads frame headers
// through; payloads larger than it go straight into the STOMP reader's.
// A session holds one only while it reads (wsBufs).
const wsReadBuffer = 256

// wsBufs holds the wsReadBuffer readers of idle WebSocket sessions.
var wsBufs = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, wsReadBuffer) }}

// wsTransport frames each STOMP frame as one unmasked WebSocket message:
// text when it is valid UTF-8, binary otherwise.
type wsTransport struct{}

func (wsTransport) name() string { return "websocket" }

func (wsTransport) appendHeader(dst []byte, n int, text bool) []byte {
	op := byte(ws.OpBinary)
	if text {
		op = byte(ws.OpText)
	}
	return appendWSHeader(dst, op, n)
}

func (wsTransport) closeFrame(code uint16) []byte {
	b := appendWSHeader(nil, byte(ws.OpClose), 2)
	return binary.BigEndian.AppendUint16(b, code)
}

func (wsTransport) closeWrite(c net.Conn) { halfClose(c) }

// appendWSHeader appends a final, unmasked frame header.
func appendWSHeader(dst []byte, op byte, n int) []byte {
	dst = append(dst, 0x80|op)
	switch {
	case n < 126:
		return append(dst, byte(n))
	case n <= 0xffff:
		dst = append(dst, 126)
		return binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, 127)
		return binary.BigEndian.AppendUint64(dst, uint64(n))
	}
}

// A closeError ends a WebSocket session with a close code to send.
type closeError struct {
	code   uint16
	reason string
}

func (e *closeError) Error() string { return fmt.Sprintf("websocket close %d: %s", e.code, e.reason) }

// wsReader presents the payloads of a client's data frames as one byte
// stream, unmasking in place: the STOMP reader above it sees frames that
// span messages, or share one, as the same stream. Nothing is buffered per
// message, so a message's size costs no memory here; the STOMP reader's
// limits bound what is kept. Text messages are checked to be UTF-8 as they
// are unmasked, in place. Pings are answered through the session's queue.
type wsReader struct {
	s         *session
	conn      io.Reader     // the socket
	br        *bufio.Reader // reads conn; nil while idle (see idle)
	hdr       [ws.MaxHeaderSize - 2]byte
	ctl       [ws.MaxControlFramePayloadSize]byte
	remaining int64
	mask      [4]byte
	off       int
	fragment  bool // a fragmented data message is in progress
	text      bool // the message in progress is text
	utf8      utf8Stream
}

// Buffered returns how many bytes of the connection are buffered, read
// but not yet given out: the session waits for the socket only when none is.
func (w *wsReader) Buffered() int {
	if w.br == nil {
		return 0
	}
	return w.br.Buffered()
}

// r returns the buffered reader of the socket, taking one from the pool if
// the session was idle.
func (w *wsReader) r() *bufio.Reader {
	if w.br == nil {
		w.br = wsBufs.Get().(*bufio.Reader)
		w.br.Reset(wsSocket{w})
	}
	return w.br
}

// wsSocket is what a wsReader's buffer reads from: the socket, with the
// session told first (flush.go), as the read may wait.
type wsSocket struct{ w *wsReader }

func (r wsSocket) Read(p []byte) (int, error) {
	if r.w.s != nil {
		r.w.s.beforeRead()
	}
	return r.w.conn.Read(p)
}

// idle gives the buffer back while the session waits for the socket with
// nothing buffered. (A larger one, for bytes that came with the
// handshake, is let go.)
func (w *wsReader) idle() {
	if w.br == nil || w.br.Buffered() > 0 {
		return
	}
	if w.br.Size() == wsReadBuffer {
		w.br.Reset(nil)
		wsBufs.Put(w.br)
	}
	w.br = nil
}

func (w *wsReader) Read(p []byte) (int, error) {
	for w.remaining == 0 {
		h, err := ws.ReadHeaderBuffer(w.r(), w.hdr[:])
		if err != nil {
			if w.fragment {
				err = unexpected(err)
			}
			return 0, err // io.EOF only at a message boundary
		}
		// Inside a fragmented message only continuations and control
		// frames may come; outside one, no continuation.
		state := ws.StateServerSide
		if w.fragment {
			state |= ws.StateFragmented
		}
		if err := ws.CheckHeader(h, state); err != nil {
			return 0, &closeError{code: 1002, reason: err.Error()}
		}
		if h.OpCode.IsControl() {
			if err := w.control(h); err != nil {
				return 0, err
			}
			continue
		}
		if h.OpCode != ws.OpContinuation {
			w.text = h.OpCode == ws.OpText
		}
		w.fragment = !h.Fin
		w.remaining, w.mask, w.off = h.Length, h.Mask, 0
		if h.Length == 0 && h.Fin && w.text && !w.utf8.end() {
			return 0, errInvalidUTF8
		}
	}
	if int64(len(p)) > w.remaining {
		p = p[:w.remaining]
	}
	n, err := w.r().Read(p)
	ws.Cipher(p[:n], w.mask, w.off)
	w.off += n
	w.remaining -= int64(n)
	if w.text {
		// A text message must be valid UTF-8 and end on a whole sequence
		// (RFC 6455 8.1); fail before the STOMP reader sees a bad byte.
		if !w.utf8.write(p[:n]) || w.remaining == 0 && !w.fragment && !w.utf8.end() {
			return 0, errInvalidUTF8
		}
	}
	if err != nil && (w.remaining > 0 || w.fragment) {
		err = unexpected(err)
	}
	return n, err
}

var errInvalidUTF8 = &closeError{code: 1007, reason: "text message is not valid UTF-8"}

func (w *wsReader) control(h ws.Header) error {
	payload := w.ctl[:h.Length]
	if _, err := io.ReadFull(w.r(), payload); err != nil {
		return unexpected(err)
	}
	ws.Cipher(payload, h.Mask, 0)
	switch h.OpCode {
	case ws.OpPing:
		if w.s != nil {
			pong := appendWSHeader(make([]byte, 0, len(payload)+2), byte(ws.OpPong), len(payload))
			w.s.enqueue(outFrame{head: append(pong, payload...), raw: true})
		}
	case ws.OpClose:
		return closeReply(payload)
	}
	return nil
}

// closeReply is what ends the session when a client sends a close (RFC
// 6455 5.5.1, 7.4), given its payload: no payload is answered with 1000; a code
// a peer may send is echoed; a 1-byte payload or a code that must not be
// sent (below 1000, 1004-1006, 1015, 1016-2999, 5000 and up) is 1002; a
// reason that is not UTF-8 is 1007.
func closeReply(payload []byte) *closeError {
	switch {
	case len(payload) == 0:
		return &closeError{code: 1000, reason: "client closed"}
	case len(payload) == 1:
		return &closeError{code: 1002, reason: "close payload of 1 byte"}
	}
	code := binary.BigEndian.Uint16(payload)
	switch {
	case !validCloseCode(code):
		return &closeError{code: 1002, reason: fmt.Sprintf("invalid close code %d", code)}
	case !utf8.Valid(payload[2:]):
		return &closeError{code: 1007, reason: "close reason is not valid UTF-8"}
	}
	return &closeError{code: code, reason: "client closed"}
}

// validCloseCode reports whether a peer may send code in a close frame:
// the defined codes (1004 is reserved; 1005, 1006 and 1015 are never sent),
// and 3000-4999 for libraries and applications.
func validCloseCode(code uint16) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1014:
		return true
	}
	return code >= 3000 && code <= 4999
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
