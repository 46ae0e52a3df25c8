package stomptest

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"

	"github.com/stompbox/stompbox/frame"
)

// Timeout bounds every read a Conn makes.
const Timeout = 5 * time.Second

// A Conn is a test client connection.
type Conn struct {
	t        testing.TB
	c        net.Conn
	ws       *wsStream // nil over TCP
	rd       *frame.Reader
	Protocol string // negotiated WebSocket subprotocol
}

// DialTCP connects over plain TCP.
func DialTCP(t testing.TB, addr string) *Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, Timeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	conn := &Conn{t: t, c: c}
	conn.rd = frame.NewReader(c, frame.Limits{MaxBody: 64 << 20})
	t.Cleanup(func() { c.Close() })
	return conn
}

// DialWS connects over WebSocket offering the given subprotocols (none when
// empty) and an optional Origin.
func DialWS(t testing.TB, url, origin string, protocols ...string) *Conn {
	t.Helper()
	c, err := TryDialWS(url, origin, protocols...)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	c.t = t
	t.Cleanup(func() { c.c.Close() })
	return c
}

// TryDialWS is DialWS returning the handshake error instead of failing.
func TryDialWS(url, origin string, protocols ...string) (*Conn, error) {
	d := ws.Dialer{Protocols: protocols, Timeout: Timeout}
	if origin != "" {
		d.Header = ws.HandshakeHeaderHTTP(http.Header{"Origin": {origin}})
	}
	c, br, hs, err := d.Dial(context.Background(), url)
	if err != nil {
		return nil, err
	}
	var r io.Reader = c
	if br != nil {
		r = br
	}
	s := &wsStream{r: r}
	conn := &Conn{c: c, ws: s, Protocol: hs.Protocol}
	conn.rd = frame.NewReader(s, frame.Limits{MaxBody: 64 << 20})
	return conn, nil
}

// Raw returns the underlying connection.
func (c *Conn) Raw() net.Conn { return c.c }

// SetVersion sets the escaping version for frames read and written.
func (c *Conn) SetVersion(v frame.Version) { c.rd.SetVersion(v) }

// Send encodes f for STOMP 1.2 and sends it (one WebSocket message).
func (c *Conn) Send(f *frame.Frame) {
	c.t.Helper()
	c.SendRaw(frame.AppendFrame(nil, f, frame.V1_2))
}

// SendRaw sends b as it is: one TCP write, or one WebSocket message, text
// when b is valid UTF-8 and binary otherwise, as browser clients send
// binary bodies (a text message must be UTF-8).
func (c *Conn) SendRaw(b []byte) {
	c.t.Helper()
	op := ws.OpText
	if !utf8.Valid(b) {
		op = ws.OpBinary
	}
	if err := c.WriteMessage(op, b); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// WriteMessage sends one WebSocket message with opcode op (over TCP, just
// the bytes).
func (c *Conn) WriteMessage(op ws.OpCode, b []byte) error {
	c.c.SetWriteDeadline(time.Now().Add(Timeout))
	if c.ws == nil {
		_, err := c.c.Write(b)
		return err
	}
	return ws.WriteFrame(c.c, ws.MaskFrame(ws.NewFrame(op, true, b)))
}

// WriteFrame sends one masked WebSocket frame as it is: fin false and
// OpContinuation build fragmented messages, and nothing is checked, so a
// test can send what a broken client would. Not for TCP connections.
func (c *Conn) WriteFrame(fin bool, op ws.OpCode, b []byte) error {
	c.c.SetWriteDeadline(time.Now().Add(Timeout))
	return ws.WriteFrame(c.c, ws.MaskFrame(ws.NewFrame(op, fin, b)))
}

// Read returns the next frame (heart-beats skipped), a copy safe to keep.
func (c *Conn) Read() (*frame.Frame, error) {
	c.c.SetReadDeadline(time.Now().Add(Timeout))
	var f frame.Frame
	if err := c.rd.ReadFrame(&f); err != nil {
		return nil, err
	}
	return f.Clone(), nil
}

// ExpectNothing fails if a frame (other than a heart-beat) arrives within d.
func (c *Conn) ExpectNothing(d time.Duration) {
	c.t.Helper()
	c.c.SetReadDeadline(time.Now().Add(d))
	var f frame.Frame
	err := c.rd.ReadFrame(&f)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		c.t.Fatalf("want nothing for %s, got %s %q %q (err %v)", d, f.Command, f.Header, f.Body, err)
	}
}

// Expect reads a frame and fails unless it has the command.
func (c *Conn) Expect(command string) *frame.Frame {
	c.t.Helper()
	f, err := c.Read()
	if err != nil {
		c.t.Fatalf("waiting for %s: %v", command, err)
	}
	if f.Command != command {
		c.t.Fatalf("got %s %q %q, want %s", f.Command, f.Header, f.Body, command)
	}
	return f
}

// Connect sends CONNECT with accept-version 1.2 (and kv headers) and
// returns the CONNECTED frame.
func (c *Conn) Connect(kv ...string) *frame.Frame {
	c.t.Helper()
	c.Send(frame.New(frame.CONNECT, append([]string{"accept-version", "1.2", "host", "localhost", "heart-beat", "0,0"}, kv...)...))
	return c.Expect(frame.CONNECTED)
}

// ExpectError reads an ERROR frame, then fails unless the connection ends.
func (c *Conn) ExpectError() *frame.Frame {
	c.t.Helper()
	f := c.Expect(frame.ERROR)
	c.ExpectClosed()
	return f
}

// ExpectClosed fails unless the server ends the connection (after any
// heart-beats) within Timeout.
func (c *Conn) ExpectClosed() {
	c.t.Helper()
	f, err := c.Read()
	if err == nil {
		c.t.Fatalf("want the connection closed, got %s %q %q", f.Command, f.Header, f.Body)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.t.Fatalf("connection still open after %s", Timeout)
	}
	c.c.Close() // as a real client does once the server has closed
}

// CloseCode is the code of the WebSocket close the server sent, or 0.
func (c *Conn) CloseCode() uint16 {
	if c.ws == nil {
		return 0
	}
	return c.ws.closeCode
}

// Pongs returns the payloads of the pongs read so far, oldest first.
func (c *Conn) Pongs() [][]byte { return c.ws.pongs }

// LastOpCode is the opcode of the last WebSocket data message read.
func (c *Conn) LastOpCode() ws.OpCode { return c.ws.lastOp }

// Subscribe subscribes with a receipt and waits for it.
func (c *Conn) Subscribe(id, dest string, kv ...string) {
	c.t.Helper()
	c.Send(frame.New(frame.SUBSCRIBE, append([]string{"id", id, "destination", dest, "receipt", "sub-" + id}, kv...)...))
	if r := c.Expect(frame.RECEIPT); r.Header.Get("receipt-id") != "sub-"+id {
		c.t.Fatalf("receipt %q, want sub-%s", r.Header.Get("receipt-id"), id)
	}
}

// SendText sends a SEND frame with a body.
func (c *Conn) SendText(dest, body string, kv ...string) {
	c.t.Helper()
	f := frame.New(frame.SEND, append([]string{"destination", dest}, kv...)...)
	f.Body = []byte(body)
	c.Send(f)
}

// wsStream presents the payloads of a server's WebSocket messages as one
// stream; a close frame ends it.
type wsStream struct {
	r         io.Reader
	remaining int64
	closeCode uint16
	lastOp    ws.OpCode
	pongs     [][]byte
}

func (s *wsStream) Read(p []byte) (int, error) {
	for s.remaining == 0 {
		h, err := ws.ReadHeader(s.r)
		if err != nil {
			return 0, err
		}
		if h.Masked {
			return 0, fmt.Errorf("server sent a masked frame")
		}
		if h.OpCode.IsControl() {
			payload := make([]byte, h.Length)
			if _, err := io.ReadFull(s.r, payload); err != nil {
				return 0, err
			}
			if h.OpCode == ws.OpClose {
				if len(payload) >= 2 {
					s.closeCode = binary.BigEndian.Uint16(payload)
				}
				return 0, io.EOF
			}
			if h.OpCode == ws.OpPong {
				s.pongs = append(s.pongs, payload)
			}
			continue
		}
		if h.OpCode != ws.OpContinuation {
			s.lastOp = h.OpCode
		}
		s.remaining = h.Length
	}
	if int64(len(p)) > s.remaining {
		p = p[:s.remaining]
	}
	n, err := s.r.Read(p)
	s.remaining -= int64(n)
	return n, err
}
