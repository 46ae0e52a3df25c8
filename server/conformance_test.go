package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/internal/stomptest"
	"github.com/stompbox/stompbox/server"
)

// A rule is one requirement of the STOMP specification and the test of it.
// The table runs over WebSocket and over TCP, and docs/conformance.md is
// made from it (see TestConformanceDoc).
type rule struct {
	section string // the specification's section heading
	rule    string // what it requires, in a sentence
	cfg     server.Config
	run     func(t *testing.T, d dialer)
}

// dialer opens client connections to the server under test.
type dialer struct {
	e    *env
	dial func() *stomptest.Conn
}

// connect opens a connection and CONNECTs with one version.
func (d dialer) connect(t *testing.T, version string, kv ...string) *stomptest.Conn {
	t.Helper()
	c := d.dial()
	c.Send(frame.New(frame.CONNECT, append([]string{"accept-version", version, "host", "localhost", "heart-beat", "0,0"}, kv...)...))
	f := c.Expect(frame.CONNECTED)
	v, _ := frame.ParseVersion(f.Header.Get("version"))
	c.SetVersion(v)
	return c
}

func (d dialer) v12(t *testing.T) *stomptest.Conn { t.Helper(); return d.connect(t, "1.2") }

func expectBody(t *testing.T, c *stomptest.Conn, want string) *frame.Frame {
	t.Helper()
	m := c.Expect(frame.MESSAGE)
	if string(m.Body) != want {
		t.Fatalf("body %q, want %q", m.Body, want)
	}
	return m
}

func expectErrorMessage(t *testing.T, c *stomptest.Conn, want string) *frame.Frame {
	t.Helper()
	f := c.ExpectError()
	if got := f.Header.Get("message"); got != want {
		t.Fatalf("ERROR message %q, want %q (body %q)", got, want, f.Body)
	}
	if len(f.Body) == 0 {
		t.Fatalf("ERROR %q has no body saying what was wrong", want)
	}
	return f
}

func send(c *stomptest.Conn, kv ...string) { c.Send(frame.New(frame.SEND, kv...)) }

var rules = []rule{
	// Frames and Headers
	{section: "Value Encoding", rule: "STOMP 1.2 header values escape CR, LF, colon and backslash; they arrive intact",
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.Subscribe("1", "/topic/esc")
			send(c, "destination", "/topic/esc", "x-v", "a:b\nc\\d\re")
			if m := expectBody(t, c, ""); m.Header.Get("x-v") != "a:b\nc\\d\re" {
				t.Fatalf("x-v = %q", m.Header.Get("x-v"))
			}
		}},
	{section: "Value Encoding", rule: "STOMP 1.1 escapes LF, colon and backslash; \\r is undefined there and is an ERROR",
		run: func(t *testing.T, d dialer) {
			c := d.connect(t, "1.1")
			c.Subscribe("1", "/topic/esc11")
			send(c, "destination", "/topic/esc11", "x-v", "a:b\nc\\d")
			if m := expectBody(t, c, ""); m.Header.Get("x-v") != "a:b\nc\\d" {
				t.Fatalf("x-v = %q", m.Header.Get("x-v"))
			}
			c.SendRaw([]byte("SEND\ndestination:/topic/esc11\nx:\\r\n\n\x00"))
			expectErrorMessage(t, c, "malformed frame")
		}},
	{section: "Value Encoding", rule: "STOMP 1.0 has no escapes: backslashes pass as they are",
		run: func(t *testing.T, d dialer) {
			c := d.connect(t, "1.0")
			c.SendRaw([]byte("SUBSCRIBE\ndestination:/topic/esc10\nreceipt:r\n\n\x00"))
			c.Expect(frame.RECEIPT)
			c.SendRaw([]byte("SEND\ndestination:/topic/esc10\nx-v:a\\nb\\q\n\n\x00"))
			if m := expectBody(t, c, ""); m.Header.Get("x-v") != `a\nb\q` {
				t.Fatalf("x-v = %q", m.Header.Get("x-v"))
			}
		}},
	{section: "Value Encoding", rule: "an undefined escape sequence is a fatal ERROR",
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.SendRaw([]byte("SEND\ndestination:/topic/a\nx:\\t\n\n\x00"))
			expectErrorMessage(t, c, "malformed frame")
		}},
	{section: "Value Encoding", rule: "CONNECT and CONNECTED headers are never unescaped or escaped",
		run: func(t *testing.T, d dialer) {
			c := d.dial()
			c.SendRaw([]byte("CONNECT\naccept-version:1.2\nlogin:a\\tb\nheart-beat:0,0\n\n\x00"))
			c.Expect(frame.CONNECTED)
		}},
	{section: "Repeated Header Entries", rule: "when a header repeats, the first value is used",
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.Subscribe("1", "/topic/first")
			c.Subscribe("2", "/topic/second")
			send(c, "destination", "/topic/first", "destination", "/topic/second", "x-r", "1", "x-r", "2")
			m := expectBody(t, c, "")
			if m.Header.Get("subscription") != "1" || m.Header.Get("x-r") != "1" {
				t.Fatalf("message %q", m.Header)
			}
			c.ExpectNothing(100 * time.Millisecond)
		}},
	{section: "Size Limits", rule: "a body over the limit is refused before it is read, with an ERROR (message:body too large) giving the limit",
		cfg: server.Config{Limits: frame.Limits{MaxBody: 1000}},
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.SendRaw([]byte("SEND\ndestination:/topic/a\ncontent-length:1001\n\n"))
			if f := expectErrorMessage(t, c, "body too large"); !strings.Contains(string(f.Body), "limit is 1000") {
				t.Fatalf("body %q", f.Body)
			}
		}},
	{section: "Size Limits", rule: "too many headers, or a header line over the limit, is an ERROR named after the limit, giving its value",
		cfg: server.Config{Limits: frame.Limits{MaxHeaders: 5, MaxLineLen: 100}},
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.SendRaw([]byte("SEND\ndestination:/topic/a" + strings.Repeat("\nk:v", 5) + "\n\n\x00"))
			if f := expectErrorMessage(t, c, "too many headers"); !strings.Contains(string(f.Body), "too many headers: limit is 5") {
				t.Fatalf("body %q", f.Body)
			}
			c = d.v12(t)
			c.SendRaw([]byte("SEND\ndestination:/topic/" + strings.Repeat("a", 100) + "\n\n\x00"))
			if f := expectErrorMessage(t, c, "header line too long"); !strings.Contains(string(f.Body), "limit is 100 bytes") {
				t.Fatalf("body %q", f.Body)
			}
		}},
	{section: "Size Limits", rule: "a destination over MaxDestinationLen is an ERROR naming the limit",
		cfg: server.Config{MaxDestinationLen: 32},
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			send(c, "destination", "/topic/"+strings.Repeat("d", 30))
			if f := expectErrorMessage(t, c, "destination too long"); !strings.Contains(string(f.Body), "MaxDestinationLen") {
				t.Fatalf("body %q", f.Body)
			}
		}},
	{section: "Connection Lingering", rule: "the ERROR frame reaches the client even when it keeps sending after the bad frame",
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.SendRaw([]byte("BOGUS\n\n\x00" + strings.Repeat("SEND\ndestination:/topic/x\n\nspam\x00", 2000)))
			expectErrorMessage(t, c, "malformed frame")
		}},

	// Connecting
	{section: "CONNECT or STOMP Frame", rule: "both CONNECT and STOMP open a session; CONNECTED carries version, server and a random session id",
		run: func(t *testing.T, d dialer) {
			ids := map[string]bool{}
			for _, cmd := range []string{frame.CONNECT, frame.STOMP} {
				c := d.dial()
				c.Send(frame.New(cmd, "accept-version", "1.2", "host", "localhost"))
				f := c.Expect(frame.CONNECTED)
				id := f.Header.Get("session")
				if f.Header.Get("version") != "1.2" || !strings.HasPrefix(f.Header.Get("server"), "stompbox/") || len(id) < 20 || ids[id] {
					t.Fatalf("CONNECTED %q", f.Header)
				}
				ids[id] = true
			}
		}},
	{section: "CONNECT or STOMP Frame", rule: "nothing but CONNECT or STOMP is processed before CONNECTED, even in the same packet as a failed CONNECT",
		run: func(t *testing.T, d dialer) {
			watcher := d.v12(t)
			watcher.Subscribe("1", "/topic/sneak")
			c := d.dial()
			c.SendRaw([]byte("SEND\ndestination:/topic/sneak\n\nbefore\x00"))
			expectErrorMessage(t, c, "not connected")
			c = d.dial()
			c.SendRaw([]byte("CONNECT\naccept-version:9.9\n\n\x00SEND\ndestination:/topic/sneak\n\nafter\x00"))
			expectErrorMessage(t, c, "unsupported version")
			watcher.ExpectNothing(100 * time.Millisecond)
		}},
	{section: "CONNECT or STOMP Frame", rule: "a second CONNECT is an ERROR",
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.Send(frame.New(frame.CONNECT, "accept-version", "1.2"))
			expectErrorMessage(t, c, "already connected")
		}},
	{section: "CONNECT or STOMP Frame", rule: "a connection that sends no CONNECT within ConnectTimeout is closed",
		cfg: server.Config{ConnectTimeout: 100 * time.Millisecond},
		run: func(t *testing.T, d dialer) {
			expectErrorMessage(t, d.dial(), "connect timeout")
		}},
	{section: "Protocol Negotiation", rule: "the highest version both sides accept is used; no accept-version means 1.0",
		run: func(t *testing.T, d dialer) {
			for offer, want := range map[string]string{"1.0,1.1,1.2": "1.2", "1.1,1.0": "1.1", "1.0": "1.0", "": "1.0", "1.2, 1.1": "1.2"} {
				c := d.dial()
				f := frame.New(frame.CONNECT)
				if offer != "" {
					f.Header.Add("accept-version", offer)
				}
				c.Send(f)
				if got := c.Expect(frame.CONNECTED).Header.Get("version"); got != want {
					t.Errorf("accept-version %q: version %q, want %q", offer, got, want)
				}
			}
		}},
	{section: "Protocol Negotiation", rule: "no common version: ERROR with a version header listing the supported ones",
		run: func(t *testing.T, d dialer) {
			c := d.dial()
			c.Send(frame.New(frame.CONNECT, "accept-version", "2.0"))
			if f := expectErrorMessage(t, c, "unsupported version"); f.Header.Get("version") != "1.0,1.1,1.2" {
				t.Fatalf("ERROR %q", f.Header)
			}
		}},
	{section: "Heart-beating", rule: "each direction is the larger of the two sides' values, off when either is 0",
		cfg: server.Config{HeartBeatSend: 2 * time.Second, HeartBeatReceive: 3 * time.Second},
		run: func(t *testing.T, d dialer) {
			c := d.dial()
			c.Send(frame.New(frame.CONNECT, "accept-version", "1.2", "heart-beat", "5000,1000"))
			if hb := c.Expect(frame.CONNECTED).Header.Get("heart-beat"); hb != "2000,3000" {
				t.Fatalf("CONNECTED heart-beat %q", hb)
			}
		}},
	{section: "Heart-beating", rule: "the server sends an EOL when it has had nothing to send for the negotiated interval",
		cfg: server.Config{HeartBeatSend: 50 * time.Millisecond, HeartBeatReceive: -1},
		run: func(t *testing.T, d dialer) {
			c := d.dial()
			c.SendRaw([]byte("CONNECT\naccept-version:1.2\nheart-beat:0,50\n\n\x00"))
			c.Expect(frame.CONNECTED)
			time.Sleep(300 * time.Millisecond)
			buf := make([]byte, 64)
			c.Raw().SetReadDeadline(time.Now().Add(time.Second))
			n, err := c.Raw().Read(buf)
			if err != nil || !strings.Contains(string(buf[:n]), "\n") {
				t.Fatalf("read %q, %v: want heart-beat EOLs", buf[:n], err)
			}
		}},
	// The silent session waits on the poller (internal/netpoll) with no
	// goroutine: its timing wheel, not a blocked read, notices.
	{section: "Heart-beating", rule: "a client silent for twice its interval is disconnected",
		cfg: server.Config{HeartBeatReceive: 50 * time.Millisecond},
		run: func(t *testing.T, d dialer) {
			c := d.dial()
			c.Send(frame.New(frame.CONNECT, "accept-version", "1.2", "heart-beat", "50,0"))
			c.Expect(frame.CONNECTED)
			start := time.Now()
			c.ExpectClosed()
			if el := time.Since(start); el < 90*time.Millisecond || el > 2*time.Second {
				t.Fatalf("closed after %s, want about 100ms", el)
			}
		}},
	{section: "Heart-beating", rule: "a client offering heart-beats slower than HeartBeatMax is refused",
		cfg: server.Config{HeartBeatMax: time.Second},
		run: func(t *testing.T, d dialer) {
			c := d.dial()
			c.Send(frame.New(frame.CONNECT, "accept-version", "1.2", "heart-beat", "5000,0"))
			expectErrorMessage(t, c, "heart-beat too slow")
		}},

	// Client frames
	{section: "SEND", rule: "a SEND to a topic reaches every subscriber, with user headers passed through",
		run: func(t *testing.T, d dialer) {
			a, b := d.v12(t), d.v12(t)
			a.Subscribe("a", "/topic/fan")
			b.Subscribe("b", "/topic/fan")
			send(a, "destination", "/topic/fan", "content-type", "text/plain", "x-user", "kept")
			for _, c := range []*stomptest.Conn{a, b} {
				m := expectBody(t, c, "")
				if m.Header.Get("x-user") != "kept" || m.Header.Get("content-type") != "text/plain" || m.Header.Get("destination") != "/topic/fan" {
					t.Fatalf("MESSAGE %q", m.Header)
				}
			}
		}},
	{section: "SEND", rule: "a client cannot set server-owned headers (message-id, subscription, ack, redelivered, user-name)",
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.Subscribe("real", "/topic/forge")
			send(c, "destination", "/topic/forge", "message-id", "forged", "subscription", "forged", "ack", "forged", "redelivered", "true", "user-name", "admin")
			m := expectBody(t, c, "")
			for _, h := range m.Header {
				if strings.Contains(string(h.Value), "forged") || string(h.Key) == "redelivered" || string(h.Key) == "user-name" {
					t.Fatalf("forged header survived: %q", m.Header)
				}
			}
		}},
	{section: "SEND", rule: "a SEND without a destination, or to one that is neither the broker's nor the application's, is an ERROR",
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.SendRaw([]byte("SEND\n\nx\x00"))
			expectErrorMessage(t, c, "missing destination")
			c = d.v12(t)
			send(c, "destination", "/elsewhere")
			expectErrorMessage(t, c, "unknown destination")
		}},
	{section: "SEND", rule: "a body with a content-length may contain NULs; a non-UTF-8 body arrives byte for byte",
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.Subscribe("1", "/topic/bin")
			f := frame.New(frame.SEND, "destination", "/topic/bin")
			f.Body = []byte{0, 1, 0xff, 0xfe, 0}
			c.Send(f)
			if m := c.Expect(frame.MESSAGE); string(m.Body) != string(f.Body) || m.Header.Get("content-length") != "5" {
				t.Fatalf("MESSAGE %q %q", m.Header, m.Body)
			}
		}},
	{section: "SUBSCRIBE id Header", rule: "STOMP 1.1 and 1.2 need an id; 1.0 subscriptions are named by their destination",
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.SendRaw([]byte("SUBSCRIBE\ndestination:/topic/a\n\n\x00"))
			expectErrorMessage(t, c, "missing id")
			c = d.connect(t, "1.0")
			c.SendRaw([]byte("SUBSCRIBE\ndestination:/topic/ten\nreceipt:r\n\n\x00"))
			c.Expect(frame.RECEIPT)
			send(c, "destination", "/topic/ten")
			if m := expectBody(t, c, ""); m.Header.Get("subscription") != "/topic/ten" {
				t.Fatalf("MESSAGE %q", m.Header)
			}
			c.SendRaw([]byte("UNSUBSCRIBE\ndestination:/topic/ten\nreceipt:u\n\n\x00"))
			c.Expect(frame.RECEIPT)
		}},
	{section: "SUBSCRIBE id Header", rule: "an id already in use in the session is an ERROR",
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.Subscribe("dup", "/topic/a")
			c.Send(frame.New(frame.SUBSCRIBE, "id", "dup", "destination", "/topic/b"))
			expectErrorMessage(t, c, "duplicate subscription")
		}},
	{section: "SUBSCRIBE id Header", rule: "a session holds at most MaxSubscriptions subscriptions",
		cfg: server.Config{MaxSubscriptions: 2},
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.Subscribe("1", "/topic/a")
			c.Subscribe("2", "/topic/b")
			c.Send(frame.New(frame.SUBSCRIBE, "id", "3", "destination", "/topic/c"))
			expectErrorMessage(t, c, "too many subscriptions")
		}},
	{section: "SUBSCRIBE", rule: "a selector header is never evaluated: the subscription gets every message",
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.Subscribe("1", "/topic/selector", "selector", "JMSType = 'car' AND 1/0 = 1")
			send(c, "destination", "/topic/selector", "JMSType", "bike")
			expectBody(t, c, "")
		}},
	{section: "SUBSCRIBE ack Header", rule: "ack:auto messages carry no ack header and need no ACK",
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.Subscribe("1", "/topic/auto", "ack", "auto")
			send(c, "destination", "/topic/auto")
			if m := expectBody(t, c, ""); m.Header.Has("ack") {
				t.Fatalf("MESSAGE %q", m.Header)
			}
			send(c, "destination", "/topic/auto", "receipt", "r")
			expectBody(t, c, "")
			c.Expect(frame.RECEIPT)
		}},
	{section: "SUBSCRIBE ack Header", rule: "an unknown ack mode is an ERROR",
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.Send(frame.New(frame.SUBSCRIBE, "id", "1", "destination", "/topic/a", "ack", "sometimes"))
			expectErrorMessage(t, c, "invalid ack mode")
		}},
	{section: "SUBSCRIBE ack Header", rule: "ack:client is cumulative: an ACK settles that message and every earlier one of the subscription",
		run: func(t *testing.T, d dialer) {
			a := d.v12(t)
			a.Subscribe("q", "/queue/cumulative", "ack", "client")
			for i := range 4 {
				send(a, "destination", "/queue/cumulative", "x-n", fmt.Sprint(i))
			}
			var ms []*frame.Frame
			for range 4 {
				ms = append(ms, a.Expect(frame.MESSAGE))
			}
			a.Send(frame.New(frame.ACK, "id", ms[2].Header.Get("ack"), "receipt", "acked"))
			a.Expect(frame.RECEIPT)
			// Only the 4th is still unacknowledged: it alone goes to the next consumer.
			b := d.v12(t)
			b.Subscribe("q", "/queue/cumulative", "ack", "client-individual")
			a.Raw().Close()
			if m := b.Expect(frame.MESSAGE); m.Header.Get("x-n") != "3" || m.Header.Get("redelivered") != "true" {
				t.Fatalf("redelivered %q", m.Header)
			}
			b.ExpectNothing(100 * time.Millisecond)
		}},
	{section: "SUBSCRIBE ack Header", rule: "ack:client-individual settles one message at a time",
		run: func(t *testing.T, d dialer) {
			a := d.v12(t)
			a.Subscribe("q", "/queue/individual", "ack", "client-individual")
			for i := range 3 {
				send(a, "destination", "/queue/individual", "x-n", fmt.Sprint(i))
			}
			var ms []*frame.Frame
			for range 3 {
				ms = append(ms, a.Expect(frame.MESSAGE))
			}
			a.Send(frame.New(frame.ACK, "id", ms[2].Header.Get("ack"), "receipt", "r"))
			a.Expect(frame.RECEIPT)
			b := d.v12(t)
			b.Subscribe("q", "/queue/individual", "ack", "client-individual")
			a.Send(frame.New(frame.DISCONNECT, "receipt", "bye"))
			a.Expect(frame.RECEIPT)
			for _, want := range []string{"0", "1"} {
				if m := b.Expect(frame.MESSAGE); m.Header.Get("x-n") != want {
					t.Fatalf("redelivered %q, want x-n %s", m.Header, want)
				}
			}
			b.ExpectNothing(100 * time.Millisecond)
		}},
	{section: "SUBSCRIBE ack Header", rule: "a /queue destination gives each message to one subscriber, round-robin",
		run: func(t *testing.T, d dialer) {
			a, b := d.v12(t), d.v12(t)
			a.Subscribe("1", "/queue/rr")
			b.Subscribe("2", "/queue/rr")
			for i := range 4 {
				send(a, "destination", "/queue/rr", "x-n", fmt.Sprint(i))
			}
			for _, c := range []*stomptest.Conn{a, b} {
				x, y := c.Expect(frame.MESSAGE).Header.Get("x-n"), c.Expect(frame.MESSAGE).Header.Get("x-n")
				if x == y {
					t.Fatalf("duplicate %s", x)
				}
				c.ExpectNothing(50 * time.Millisecond)
			}
		}},
	{section: "SUBSCRIBE ack Header", rule: "a /queue message sent while nobody subscribes is held until someone does",
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			send(c, "destination", "/queue/held", "receipt", "r")
			c.Expect(frame.RECEIPT)
			c.Send(frame.New(frame.SUBSCRIBE, "id", "1", "destination", "/queue/held", "receipt", "sub"))
			expectBody(t, c, "")    // handed over as the subscription starts,
			c.Expect(frame.RECEIPT) // so before its receipt
		}},
	{section: "UNSUBSCRIBE", rule: "after UNSUBSCRIBE no more messages arrive; an unknown id is an ERROR",
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.Subscribe("1", "/topic/unsub")
			c.Send(frame.New(frame.UNSUBSCRIBE, "id", "1", "receipt", "u"))
			c.Expect(frame.RECEIPT)
			send(c, "destination", "/topic/unsub")
			c.ExpectNothing(100 * time.Millisecond)
			c.Send(frame.New(frame.UNSUBSCRIBE, "id", "1"))
			expectErrorMessage(t, c, "unknown subscription")
		}},
	{section: "ACK", rule: "STOMP 1.2 ACKs name the MESSAGE's ack header; 1.1 its message-id",
		run: func(t *testing.T, d dialer) {
			for _, v := range []string{"1.1", "1.2"} {
				c := d.connect(t, v)
				c.Subscribe("s", "/queue/ack"+v, "ack", "client-individual")
				send(c, "destination", "/queue/ack"+v)
				m := c.Expect(frame.MESSAGE)
				ack := frame.New(frame.ACK, "receipt", "r")
				if v == "1.2" {
					if m.Header.Get("ack") == "" {
						t.Fatalf("1.2 MESSAGE without ack header: %q", m.Header)
					}
					ack.Header.Add("id", m.Header.Get("ack"))
				} else {
					ack.Header.Add("message-id", m.Header.Get("message-id"))
					ack.Header.Add("subscription", "s")
				}
				c.Send(ack)
				c.Expect(frame.RECEIPT)
			}
		}},
	{section: "ACK", rule: "ACK of an unknown id, an already settled one or another session's message is an ERROR",
		run: func(t *testing.T, d dialer) {
			other := d.v12(t)
			other.Subscribe("s", "/queue/theirs", "ack", "client")
			send(other, "destination", "/queue/theirs")
			theirs := other.Expect(frame.MESSAGE).Header.Get("ack")

			c := d.v12(t)
			c.Send(frame.New(frame.ACK, "id", theirs))
			expectErrorMessage(t, c, "unknown ack id")
			c = d.v12(t)
			c.Send(frame.New(frame.ACK, "id", "no-such-id"))
			expectErrorMessage(t, c, "unknown ack id")
			c = d.v12(t)
			c.Subscribe("s", "/queue/twice", "ack", "client")
			send(c, "destination", "/queue/twice")
			id := c.Expect(frame.MESSAGE).Header.Get("ack")
			c.Send(frame.New(frame.ACK, "id", id))
			c.Send(frame.New(frame.ACK, "id", id))
			expectErrorMessage(t, c, "unknown ack id")
			// The other session's message is still its own to settle.
			other.Send(frame.New(frame.ACK, "id", theirs, "receipt", "ok"))
			other.Expect(frame.RECEIPT)
		}},
	{section: "NACK", rule: "a NACKed queue message goes to another subscriber, marked redelivered",
		run: func(t *testing.T, d dialer) {
			a, b := d.v12(t), d.v12(t)
			a.Subscribe("a", "/queue/nack", "ack", "client-individual")
			send(a, "destination", "/queue/nack", "x-n", "0")
			m := a.Expect(frame.MESSAGE)
			b.Subscribe("b", "/queue/nack", "ack", "client-individual")
			a.Send(frame.New(frame.NACK, "id", m.Header.Get("ack")))
			r := b.Expect(frame.MESSAGE)
			if r.Header.Get("x-n") != "0" || r.Header.Get("redelivered") != "true" {
				t.Fatalf("redelivery %q", r.Header)
			}
			a.ExpectNothing(50 * time.Millisecond)
		}},
	{section: "NACK", rule: "NACK does not exist in STOMP 1.0",
		run: func(t *testing.T, d dialer) {
			c := d.connect(t, "1.0")
			c.SendRaw([]byte("NACK\nmessage-id:x\n\n\x00"))
			expectErrorMessage(t, c, "unexpected frame")
		}},
	{section: "BEGIN", rule: "SENDs in a transaction are held until COMMIT, then delivered in order",
		run: func(t *testing.T, d dialer) {
			c, w := d.v12(t), d.v12(t)
			w.Subscribe("1", "/topic/tx")
			c.Send(frame.New(frame.BEGIN, "transaction", "t1"))
			send(c, "destination", "/topic/tx", "transaction", "t1", "x-n", "1")
			send(c, "destination", "/topic/tx", "transaction", "t1", "x-n", "2", "receipt", "held")
			c.Expect(frame.RECEIPT)
			w.ExpectNothing(100 * time.Millisecond)
			c.Send(frame.New(frame.COMMIT, "transaction", "t1", "receipt", "done"))
			c.Expect(frame.RECEIPT)
			for _, n := range []string{"1", "2"} {
				if m := w.Expect(frame.MESSAGE); m.Header.Get("x-n") != n || m.Header.Has("transaction") {
					t.Fatalf("MESSAGE %q", m.Header)
				}
			}
		}},
	{section: "BEGIN", rule: "a transaction id already open is an ERROR; a session holds at most MaxTransactions",
		cfg: server.Config{MaxTransactions: 1},
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.Send(frame.New(frame.BEGIN, "transaction", "t"))
			c.Send(frame.New(frame.BEGIN, "transaction", "t"))
			expectErrorMessage(t, c, "duplicate transaction")
			c = d.v12(t)
			c.Send(frame.New(frame.BEGIN, "transaction", "a"))
			c.Send(frame.New(frame.BEGIN, "transaction", "b"))
			expectErrorMessage(t, c, "too many transactions")
		}},
	{section: "BEGIN", rule: "a session's transactions hold at most MaxTransactionBytes",
		cfg: server.Config{MaxTransactionBytes: 1000},
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.Send(frame.New(frame.BEGIN, "transaction", "t"))
			f := frame.New(frame.SEND, "destination", "/topic/big", "transaction", "t")
			f.Body = make([]byte, 600)
			c.Send(f)
			c.Send(f)
			expectErrorMessage(t, c, "transaction too large")
		}},
	{section: "COMMIT", rule: "ACKs in a transaction take effect at COMMIT",
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			c.Subscribe("s", "/queue/txack", "ack", "client-individual")
			send(c, "destination", "/queue/txack")
			id := c.Expect(frame.MESSAGE).Header.Get("ack")
			c.Send(frame.New(frame.BEGIN, "transaction", "t"))
			c.Send(frame.New(frame.ACK, "id", id, "transaction", "t"))
			c.Send(frame.New(frame.COMMIT, "transaction", "t", "receipt", "r"))
			c.Expect(frame.RECEIPT)
			c.Send(frame.New(frame.ACK, "id", id)) // settled at COMMIT: no longer pending
			expectErrorMessage(t, c, "unknown ack id")
		}},
	{section: "COMMIT", rule: "COMMIT or ABORT of a transaction that is not open is an ERROR",
		run: func(t *testing.T, d dialer) {
			for _, cmd := range []string{frame.COMMIT, frame.ABORT} {
				c := d.v12(t)
				c.Send(frame.New(cmd, "transaction", "nope"))
				expectErrorMessage(t, c, "unknown transaction")
			}
			c := d.v12(t)
			send(c, "destination", "/topic/x", "transaction", "nope")
			expectErrorMessage(t, c, "unknown transaction")
		}},
	{section: "ABORT", rule: "ABORT drops what the transaction held, ACKs included",
		run: func(t *testing.T, d dialer) {
			c, w := d.v12(t), d.v12(t)
			w.Subscribe("1", "/topic/abort")
			c.Subscribe("s", "/queue/abortack", "ack", "client-individual")
			send(c, "destination", "/queue/abortack")
			id := c.Expect(frame.MESSAGE).Header.Get("ack")
			c.Send(frame.New(frame.BEGIN, "transaction", "t"))
			send(c, "destination", "/topic/abort", "transaction", "t")
			c.Send(frame.New(frame.ACK, "id", id, "transaction", "t"))
			c.Send(frame.New(frame.ABORT, "transaction", "t", "receipt", "r"))
			c.Expect(frame.RECEIPT)
			w.ExpectNothing(100 * time.Millisecond)
			c.Send(frame.New(frame.ACK, "id", id, "receipt", "still-pending"))
			c.Expect(frame.RECEIPT)
		}},
	{section: "DISCONNECT", rule: "DISCONNECT with a receipt: RECEIPT, then the server closes; open transactions are dropped",
		run: func(t *testing.T, d dialer) {
			c, w := d.v12(t), d.v12(t)
			w.Subscribe("1", "/topic/dropped")
			c.Send(frame.New(frame.BEGIN, "transaction", "t"))
			send(c, "destination", "/topic/dropped", "transaction", "t")
			c.SendRaw([]byte("DISCONNECT\nreceipt:bye\n\n\x00SEND\ndestination:/topic/dropped\n\nafter\x00"))
			if r := c.Expect(frame.RECEIPT); r.Header.Get("receipt-id") != "bye" {
				t.Fatalf("RECEIPT %q", r.Header)
			}
			c.ExpectClosed()
			w.ExpectNothing(100 * time.Millisecond)
		}},

	// Standard headers and server frames
	{section: "Header receipt", rule: "every client frame with a receipt header is answered by a RECEIPT with that receipt-id, after its effect",
		run: func(t *testing.T, d dialer) {
			c, w := d.v12(t), d.v12(t)
			c.Send(frame.New(frame.SUBSCRIBE, "id", "1", "destination", "/queue/receipts", "ack", "client", "receipt", "sub"))
			c.Expect(frame.RECEIPT)
			w.Send(frame.New(frame.SEND, "destination", "/queue/receipts", "receipt", "send"))
			w.Expect(frame.RECEIPT) // routed: it is already in c's queue
			id := c.Expect(frame.MESSAGE).Header.Get("ack")
			for i, f := range []*frame.Frame{
				frame.New(frame.ACK, "id", id),
				frame.New(frame.BEGIN, "transaction", "t"),
				frame.New(frame.ABORT, "transaction", "t"),
				frame.New(frame.UNSUBSCRIBE, "id", "1"),
			} {
				r := fmt.Sprint("r", i)
				f.Header.Add("receipt", r)
				c.Send(f)
				if got := c.Expect(frame.RECEIPT).Header.Get("receipt-id"); got != r {
					t.Fatalf("%s: receipt-id %q", f.Command, got)
				}
			}
		}},
	{section: "MESSAGE", rule: "every MESSAGE has a unique message-id, its subscription and its destination",
		run: func(t *testing.T, d dialer) {
			a, b := d.v12(t), d.v12(t)
			a.Subscribe("x", "/topic/ids")
			b.Subscribe("y", "/topic/ids")
			seen := map[string]bool{}
			for range 5 {
				send(a, "destination", "/topic/ids")
				for c, sub := range map[*stomptest.Conn]string{a: "x", b: "y"} {
					m := c.Expect(frame.MESSAGE)
					id := m.Header.Get("message-id")
					if id == "" || seen[id] || m.Header.Get("subscription") != sub || m.Header.Get("destination") != "/topic/ids" {
						t.Fatalf("MESSAGE %q", m.Header)
					}
					seen[id] = true
				}
			}
		}},
	{section: "ERROR", rule: "an ERROR has a message header, a body saying what was wrong, the receipt-id of the frame's receipt, then the connection closes",
		run: func(t *testing.T, d dialer) {
			c := d.v12(t)
			send(c, "destination", "/nowhere", "receipt", "77")
			if f := expectErrorMessage(t, c, "unknown destination"); f.Header.Get("receipt-id") != "77" || !strings.Contains(string(f.Body), "/nowhere") {
				t.Fatalf("ERROR %q %q", f.Header, f.Body)
			}
		}},
}

// TestConformance runs every rule over WebSocket and TCP.
func TestConformance(t *testing.T) {
	for _, r := range rules {
		t.Run(testName(r), func(t *testing.T) {
			transports(t, r.cfg, func(t *testing.T, e *env, dial func() *stomptest.Conn) {
				r.run(t, dialer{e: e, dial: dial})
			})
		})
	}
}

func testName(r rule) string {
	return strings.ReplaceAll(r.section+"/"+r.rule, " ", "_")
}
