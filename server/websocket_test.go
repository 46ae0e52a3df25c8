package server

// These tests are inside the package so that the UTF-8 validator can be
// tested on its own too; the WebSocket tests use only the exported API,
// over real sockets, through internal/stomptest.

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/internal/stomptest"
)

// startWS runs a Server with a memory broker behind an httptest server and
// returns the server and its WebSocket URL.
func startWS(t *testing.T, cfg Config) (*httptest.Server, string) {
	t.Helper()
	if cfg.Broker == nil {
		cfg.Broker = broker.NewMemory()
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	srv := New(cfg)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		hs.Close()
	})
	return hs, "ws" + strings.TrimPrefix(hs.URL, "http")
}

// sendFragments sends parts as one message of opcode op, one frame each,
// and a ping (payload "p<i>") after every part but the last when pings.
func sendFragments(t *testing.T, c *stomptest.Conn, op ws.OpCode, pings bool, parts ...[]byte) {
	t.Helper()
	for i, p := range parts {
		if i > 0 {
			op = ws.OpContinuation
		}
		last := i == len(parts)-1
		if err := c.WriteFrame(last, op, p); err != nil {
			t.Fatalf("fragment %d: %v", i, err)
		}
		if pings && !last {
			if err := c.WriteFrame(true, ws.OpPing, []byte{'p', byte('0' + i)}); err != nil {
				t.Fatalf("ping %d: %v", i, err)
			}
		}
	}
}

// bytewise splits s into one-byte parts.
func bytewise(s string) [][]byte {
	parts := make([][]byte, len(s))
	for i := range parts {
		parts[i] = []byte{s[i]}
	}
	return parts
}

// expectClose fails unless the server closes the connection with code.
func expectClose(t *testing.T, c *stomptest.Conn, code uint16) {
	t.Helper()
	c.ExpectClosed()
	if got := c.CloseCode(); got != code {
		t.Fatalf("close code %d, want %d", got, code)
	}
}

func connectFrame() []byte {
	return frame.AppendFrame(nil, frame.New(frame.CONNECT, "accept-version", "1.2", "host", "localhost", "heart-beat", "0,0"), frame.V1_2)
}

func TestWebSocketFragmentedConnect(t *testing.T) {
	_, url := startWS(t, Config{})
	c := stomptest.DialWS(t, url, "", "v12.stomp")
	b := connectFrame()
	n := len(b) / 3
	sendFragments(t, c, ws.OpText, true, b[:n], b[n:2*n], b[2*n:])
	c.Expect(frame.CONNECTED)
	if p := c.Pongs(); len(p) != 2 || string(p[0]) != "p0" || string(p[1]) != "p1" {
		t.Fatalf("pongs %q, want [p0 p1]", p)
	}
}

func TestWebSocketFragmentedSend(t *testing.T) {
	_, url := startWS(t, Config{})
	sub := stomptest.DialWS(t, url, "", "v12.stomp")
	sub.Connect()
	sub.Subscribe("1", "/topic/f")
	pub := stomptest.DialWS(t, url, "", "v12.stomp")
	pub.Connect()
	for _, c := range []struct {
		name  string
		op    ws.OpCode
		body  string
		parts func([]byte) [][]byte
	}{
		{"text in 3", ws.OpText, "a body that spans fragments", thirds},
		{"text bytewise", ws.OpText, "héllo € 𝄞", func(b []byte) [][]byte { return bytewise(string(b)) }},
		{"binary in 3", ws.OpBinary, "\xff\x00\xfe bytes, not UTF-8 \xc0", thirds},
		{"empty last fragment", ws.OpText, "ends empty ✓", func(b []byte) [][]byte { return append(thirds(b), nil) }},
	} {
		// No subtests: the connections belong to t.
		f := frame.New(frame.SEND, "destination", "/topic/f", "content-length", strconv.Itoa(len(c.body)))
		f.Body = []byte(c.body)
		sendFragments(t, pub, c.op, false, c.parts(frame.AppendFrame(nil, f, frame.V1_2))...)
		if m := sub.Expect(frame.MESSAGE); string(m.Body) != c.body {
			t.Fatalf("%s: body %q, want %q", c.name, m.Body, c.body)
		}
	}
}

func thirds(b []byte) [][]byte {
	n := len(b) / 3
	return [][]byte{b[:n], b[n : 2*n], b[2*n:]}
}

// A wsFrame is the header of a frame a test sends.
type wsFrame struct {
	fin bool
	op  ws.OpCode
}

func TestWebSocketFragmentProtocolErrors(t *testing.T) {
	_, url := startWS(t, Config{})
	for _, c := range []struct {
		name   string
		frames []wsFrame
	}{
		{"continuation without a message", []wsFrame{{true, ws.OpContinuation}}},
		{"continuation after a whole message", []wsFrame{{true, ws.OpText}, {false, ws.OpContinuation}}},
		{"text inside a fragmented message", []wsFrame{{false, ws.OpText}, {true, ws.OpText}}},
		{"binary inside a fragmented message", []wsFrame{{false, ws.OpBinary}, {false, ws.OpContinuation}, {true, ws.OpBinary}}},
		{"fragmented ping", []wsFrame{{false, ws.OpPing}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := stomptest.DialWS(t, url, "", "v12.stomp")
			for _, f := range c.frames {
				if err := conn.WriteFrame(f.fin, f.op, []byte("\n")); err != nil {
					t.Fatal(err)
				}
			}
			expectClose(t, conn, 1002)
		})
	}
}
