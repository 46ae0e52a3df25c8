package server

// These tests are inside the package so that the UTF-8 validator can be
// tested on its own too; the WebSocket tests use only the exported API,
// over real sockets, through internal/stomptest.

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

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

// utf8Cases are valid and invalid UTF-8 texts with their sequences near
// every boundary a piece could split.
var utf8Cases = []string{
	"", "ascii only", "é", "€", "𝄞", "héllo € 𝄞 ✓", "\u007f\u0080\u07ff\u0800\uffff\U00010000\U0010ffff",
	"\xed\x9f\xbf", "\xee\x80\x80", // either side of the surrogates
	"\xff", "a\xffb", "\x80", "ab\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", // bad bytes, overlong
	"\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", // surrogates, past U+10FFFF
	"\xc3", "a\xe2\x82", "\xf0\x9d\x84", "\xe2\x82a", "\xf0\x9d\x84\x9e\x9e", "é\xe2", // truncated, too long
	"\xc3\xa9\xc3", "abc\xf0\x9d\x84\x9e\xf0",
}

// TestUTF8Stream checks the validator against utf8.Valid for every way of
// cutting each case into two pieces and three, and byte by byte.
func TestUTF8Stream(t *testing.T) {
	check := func(s string, parts ...string) {
		t.Helper()
		var v utf8Stream
		ok := true
		for _, p := range parts {
			ok = v.write([]byte(p)) && ok
		}
		ok = v.end() && ok
		if want := utf8.ValidString(s); ok != want {
			t.Errorf("%q cut as %q: valid %v, want %v", s, parts, ok, want)
		}
	}
	for _, s := range utf8Cases {
		for _, pad := range []string{"", "0123456789abcdef"} { // past utf8.Valid's 8-byte ASCII steps
			s := pad + s + pad[:len(pad)/3]
			check(s, s)
			for i := range len(s) + 1 {
				check(s, s[:i], s[i:])
				for j := i; j <= len(s); j++ {
					check(s, s[:i], s[i:j], s[j:])
				}
			}
			parts := make([]string, len(s))
			for i := range parts {
				parts[i] = s[i : i+1]
			}
			check(s, parts...)
		}
	}
}

// An invalid byte is found as soon as it is written, not at the end.
func TestUTF8StreamFailsEarly(t *testing.T) {
	for _, s := range []string{"\xed\xa0", "\xe0\x80", "\xf4\x90", "a\xff", "\xc3\xc3"} {
		var v utf8Stream
		ok := true
		for i := range len(s) {
			ok = ok && v.write([]byte{s[i]})
		}
		if ok {
			t.Errorf("%q: accepted before the end", s)
		}
	}
}

// sendFrame is the start of a SEND frame to /topic/u, its body to follow.
const sendFrame = "SEND\ndestination:/topic/u\n\n"

// The first bad byte is in each message's last frame: the server closes
// as soon as it fails a message, and a client still writing then may see
// a reset instead of the close frame.
func TestWebSocketInvalidUTF8(t *testing.T) {
	_, url := startWS(t, Config{})
	for _, c := range []struct {
		name  string
		parts []string
	}{
		{"in the middle", []string{sendFrame + "ab\xffcd\x00"}},
		{"surrogate", []string{sendFrame + "\xed\xa0\x80\x00"}},
		{"overlong", []string{sendFrame + "\xc0\xaf\x00"}},
		{"split across two fragments", []string{sendFrame + "ab\xe2\x82", "Acd\x00"}},
		{"bad continuation in the next fragment", []string{sendFrame + "ab", "\x80cd\x00"}},
		{"byte by byte", []string{sendFrame, "a", "\xf4", "\x90"}}, // no U+110000
		{"truncated at the end", []string{sendFrame + "x\x00\n\xe2\x82"}},
		{"truncated at the end of fragments", []string{sendFrame + "x\x00\n\xf0", "\x9d\x84"}},
		{"truncated before an empty last fragment", []string{sendFrame + "x\x00\n\xe2\x82", ""}},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn := stomptest.DialWS(t, url, "", "v12.stomp")
			conn.Connect()
			parts := make([][]byte, len(c.parts))
			for i, p := range c.parts {
				parts[i] = []byte(p)
			}
			sendFragments(t, conn, ws.OpText, false, parts...)
			expectClose(t, conn, 1007)
		})
	}
}

// Valid UTF-8 passes however it is cut, and binary messages are not
// checked.
func TestWebSocketValidUTF8Fragments(t *testing.T) {
	_, url := startWS(t, Config{})
	sub := stomptest.DialWS(t, url, "", "v12.stomp")
	sub.Connect()
	sub.Subscribe("1", "/topic/u")
	pub := stomptest.DialWS(t, url, "", "v12.stomp")
	pub.Connect()
	const body = "é€𝄞 \u07ff\u0800\uffff\U0010ffff"
	sendFragments(t, pub, ws.OpText, false, bytewise(sendFrame+body+"\x00")...)
	if m := sub.Expect(frame.MESSAGE); string(m.Body) != body {
		t.Fatalf("body %q, want %q", m.Body, body)
	}
	sendFragments(t, pub, ws.OpText, false, []byte(sendFrame+"\xf0\x9d"), []byte("\x84\x9e\x00"))
	if m := sub.Expect(frame.MESSAGE); string(m.Body) != "𝄞" {
		t.Fatalf("body %q, want 𝄞", m.Body)
	}
	const bin = "\xed\xa0\x80\xff"
	sendFragments(t, pub, ws.OpBinary, false, []byte(sendFrame[:len(sendFrame)-1]+"content-length:4\n\n\xed"), []byte("\xa0\x80\xff\x00"))
	if m := sub.Expect(frame.MESSAGE); string(m.Body) != bin {
		t.Fatalf("body %q, want %q", m.Body, bin)
	}
}

// BenchmarkUTF8Stream measures validating a 4 KiB text body read in 512-byte
// pieces, as the STOMP reader would read it.
func BenchmarkUTF8Stream(b *testing.B) {
	for _, c := range []struct{ name, unit string }{{"ascii", "chat message "}, {"mixed", "héllo € 𝄞 "}} {
		text := []byte(strings.Repeat(c.unit, 4096/len(c.unit)))
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				var v utf8Stream
				for p := text; len(p) > 0; p = p[min(512, len(p)):] {
					if !v.write(p[:min(512, len(p))]) {
						b.Fatal("invalid")
					}
				}
				if !v.end() {
					b.Fatal("incomplete")
				}
			}
		})
	}
}

func TestWebSocketCloseCodes(t *testing.T) {
	_, url := startWS(t, Config{})
	code := func(c uint16, reason string) []byte { return append([]byte{byte(c >> 8), byte(c)}, reason...) }
	type closeCase struct {
		name    string
		payload []byte
		want    uint16
	}
	cases := []closeCase{
		{"empty", nil, 1000},
		{"1 byte", []byte{0x03}, 1002},
		{"valid reason", code(1000, "bye ✓"), 1000},
		{"reason not UTF-8", code(1000, "bye \xff"), 1007},
		{"reason truncated UTF-8", code(3000, "\xe2\x82"), 1007},
	}
	for _, c := range []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999} {
		cases = append(cases, closeCase{strconv.Itoa(int(c)), code(c, ""), c})
	}
	for _, c := range []uint16{0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		cases = append(cases, closeCase{strconv.Itoa(int(c)), code(c, "r"), 1002})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn := stomptest.DialWS(t, url, "", "v12.stomp")
			if err := conn.WriteFrame(true, ws.OpClose, c.payload); err != nil {
				t.Fatal(err)
			}
			expectClose(t, conn, c.want)
		})
	}
	// A close that ends a session after CONNECT is answered the same way.
	conn := stomptest.DialWS(t, url, "", "v12.stomp")
	conn.Connect()
	if err := conn.WriteFrame(true, ws.OpClose, code(1004, "")); err != nil {
		t.Fatal(err)
	}
	expectClose(t, conn, 1002)
}

// handshake sends a WebSocket upgrade request to hs with the given Host
// and Origin ("" for none) and returns the response status and body.
func handshake(t *testing.T, hs *httptest.Server, host, origin string) (int, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", hs.Listener.Addr().String(), stomptest.Timeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(stomptest.Timeout))
	req := "GET / HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v12.stomp\r\n"
	if origin != "" {
		req += "Origin: " + origin + "\r\n"
	}
	if _, err := io.WriteString(c, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return resp.StatusCode, ""
	}
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestWebSocketOrigin(t *testing.T) {
	open, _ := startWS(t, Config{})
	listed, _ := startWS(t, Config{AllowedOrigins: []string{"http://chat.example:8080", "https://Other.Example"}})
	port := open.Listener.Addr().(*net.TCPAddr).Port
	p := ":" + strconv.Itoa(port)
	for _, c := range []struct {
		name         string
		hs           *httptest.Server
		host, origin string
		want         int    // status
		why          string // in the body when refused
	}{
		{"no origin", open, "chat.example:8080", "", 101, ""},
		{"IPv4 same origin", open, "127.0.0.1" + p, "http://127.0.0.1" + p, 101, ""},
		{"IPv4 same origin, https page", open, "127.0.0.1" + p, "https://127.0.0.1" + p, 101, ""},
		{"IPv4 without port", open, "192.0.2.7", "http://192.0.2.7", 101, ""},
		{"IPv6 same origin", open, "[::1]" + p, "http://[::1]" + p, 101, ""},
		{"IPv6 without port", open, "[2001:db8::1]", "http://[2001:db8::1]", 101, ""},
		{"localhost", open, "localhost" + p, "http://localhost" + p, 101, ""},
		{"LOCALHOST", open, "LOCALHOST" + p, "http://localhost" + p, 101, ""},
		{"DNS rebinding", open, "evil.example:8080", "http://evil.example:8080", 403, "-allowed-origins"},
		{"named host same origin", open, "chat.example", "https://chat.example", 403, "IP address or localhost"},
		{"localhost subdomain", open, "a.localhost" + p, "http://a.localhost" + p, 403, "IP address or localhost"},
		{"cross origin", open, "127.0.0.1" + p, "http://evil.example", 403, "another site"},
		{"other port", open, "127.0.0.1" + p, "http://127.0.0.1:1", 403, "another site"},
		{"null origin", open, "127.0.0.1" + p, "null", 403, "another site"},
		{"listed origin", listed, "chat.example:8080", "http://chat.example:8080", 101, ""},
		{"listed, other case", listed, "other.example", "https://other.example", 101, ""},
		{"listed, rebinding host", listed, "evil.example", "http://chat.example:8080", 101, ""},
		{"not listed", listed, "evil.example:8080", "http://evil.example:8080", 403, "-allowed-origins"},
		{"not listed, same IP origin", listed, "127.0.0.1" + p, "http://127.0.0.1" + p, 403, "not in -allowed-origins"},
		{"listed, no origin", listed, "anything", "", 101, ""},
	} {
		status, body := handshake(t, c.hs, c.host, c.origin)
		if status != c.want || !strings.Contains(body, c.why) {
			t.Errorf("%s: Host %s, Origin %q: %d %q, want %d with %q", c.name, c.host, c.origin, status, body, c.want, c.why)
		}
	}
}
