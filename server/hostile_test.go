package server_test

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/internal/stomptest"
	"github.com/stompbox/stompbox/server"
)

// The attacks that STOMP servers have shipped CVEs for, and plain bad
// input: each gets an ERROR saying what was wrong, then the connection
// closes, and a bystander session never notices.
func TestHostileInput(t *testing.T) {
	cases := []struct {
		name    string
		connect bool
		wire    string
		message string
	}{
		{"frame before CONNECT", false, "SEND\ndestination:/topic/chat\n\nx\x00", "not connected"},
		{"subscribe before CONNECT", false, "SUBSCRIBE\nid:1\ndestination:/topic/chat\n\n\x00", "not connected"},
		{"oversized CONNECT", false, "CONNECT\nx:" + strings.Repeat("a", 2000) + "\n\n\x00", "header line too long"},
		{"CONNECT with a body over the pre-connect budget", false, "CONNECT\naccept-version:1.2\ncontent-length:5000\n\n", "body too large"},
		{"second CONNECT", true, "CONNECT\naccept-version:1.2\n\n\x00", "already connected"},
		{"unknown command", true, "PUBLISH\n\n\x00", "malformed frame"},
		{"lower-case command", true, "send\ndestination:/topic/a\n\n\x00", "malformed frame"},
		{"binary garbage", true, strings.Repeat("\x00\x01\x02\xff\xfe", 8), "malformed frame"},
		{"endless header line", true, "SEND\ndestination:/topic/a\nx:" + strings.Repeat("a", 64<<10), "header line too long"},
		{"endless headers", true, "SEND\ndestination:/topic/a\n" + strings.Repeat("k:v\n", 1000), "too many headers"},
		{"header without colon", true, "SEND\ndestination:/topic/a\nnocolon\n\n\x00", "malformed frame"},
		{"NUL in a header value", true, "SEND\ndestination:/topic/chat\nx:a\x00b\n\nbody\x00", "NUL in header"},
		{"undefined escape", true, "SEND\ndestination:/topic/a\nk:\\t\n\n\x00", "malformed frame"},
		{"negative content-length", true, "SEND\ndestination:/topic/a\ncontent-length:-5\n\n\x00", "malformed frame"},
		{"content-length with a sign", true, "SEND\ndestination:/topic/a\ncontent-length:+5\n\nhello\x00", "malformed frame"},
		{"huge content-length", true, "SEND\ndestination:/topic/a\ncontent-length:4294967296\n\n", "body too large"},
		{"content-length over the body limit", true, "SEND\ndestination:/topic/a\ncontent-length:1048577\n\n", "body too large"},
		{"content-length that lies", true, "SEND\ndestination:/topic/a\ncontent-length:2\n\nabcdef\x00", "malformed frame"},
		{"body over the limit without content-length", true, "SEND\ndestination:/topic/a\n\n" + strings.Repeat("b", 1<<20+10), "body too large"},
		{"send without destination", true, "SEND\n\nx\x00", "missing destination"},
		{"destination with a control character", true, "SEND\ndestination:/topic/a\\nb\n\nx\x00", "unknown destination"},
		{"unknown destination", true, "SEND\ndestination:/elsewhere\n\nx\x00", "unknown destination"},
		{"no handler", true, "SEND\ndestination:/app/nothing\nreceipt:7\n\n{}\x00", "invalid message"},
		{"bad JSON to a handler", true, "SEND\ndestination:/app/chat\n\n{not json\x00", "invalid message"},
		{"subscribe without id", true, "SUBSCRIBE\ndestination:/topic/a\n\n\x00", "missing id"},
		{"unknown unsubscribe", true, "UNSUBSCRIBE\nid:nope\n\n\x00", "unknown subscription"},
		{"ACK of a guessed id", true, "ACK\nid:1\n\n\x00", "unknown ack id"},
		{"server frame from a client", true, "MESSAGE\ndestination:/topic/a\n\n\x00", "unexpected frame"},
		{"RECEIPT from a client", true, "RECEIPT\nreceipt-id:1\n\n\x00", "unexpected frame"},
	}
	transports(t, server.Config{}, func(t *testing.T, e *env, dial func() *stomptest.Conn) {
		bystander := dial()
		bystander.Connect()
		bystander.Subscribe("1", "/topic/chat")
		for _, c := range cases {
			conn := dial()
			if c.connect {
				conn.Connect()
			}
			conn.SendRaw([]byte(c.wire))
			t.Log(c.name) // shown if the wait below fails
			f := conn.ExpectError()
			if got := f.Header.Get("message"); got != c.message {
				t.Errorf("%s: message %q, want %q (body %q)", c.name, got, c.message, f.Body)
			}
			if len(f.Body) == 0 {
				t.Errorf("%s: ERROR without a body", c.name)
			}
			if strings.Contains(c.wire, "receipt:7") && f.Header.Get("receipt-id") != "7" {
				t.Errorf("%s: ERROR without receipt-id", c.name)
			}
		}
		bystander.SendText("/app/chat", `{"name":"a","content":"still here"}`)
		if m := bystander.Expect(frame.MESSAGE); !strings.Contains(string(m.Body), "still here") {
			t.Fatalf("bystander got %q", m.Body)
		}
		waitSessions(t, e, 1) // only the bystander
	})
}

// Values relayed to a STOMP 1.0 subscriber cannot inject header lines:
// 1.0 has no escapes, so line breaks become spaces.
func TestNoInjectionAcrossVersions(t *testing.T) {
	transports(t, server.Config{}, func(t *testing.T, e *env, dial func() *stomptest.Conn) {
		old := dial()
		old.Send(frame.New(frame.CONNECT, "accept-version", "1.0"))
		old.Expect(frame.CONNECTED)
		old.SetVersion(frame.V1_0)
		old.SendRaw([]byte("SUBSCRIBE\ndestination:/topic/inject\nreceipt:r\n\n\x00"))
		old.Expect(frame.RECEIPT)
		pub := dial()
		pub.Connect()
		pub.SendText("/topic/inject", "", "x-evil", "a\nmessage-id:forged\r\n\nbody")
		m := old.Expect(frame.MESSAGE)
		if strings.Contains(m.Header.Get("message-id"), "forged") || !strings.HasPrefix(m.Header.Get("x-evil"), "a message-id") || len(m.Body) != 0 {
			t.Fatalf("MESSAGE %q %q", m.Header, m.Body)
		}
	})
}

// A connection that dribbles half a CONNECT and stops is closed at
// ConnectTimeout; it does not hold anything open.
func TestSlowlorisConnect(t *testing.T) {
	transports(t, server.Config{ConnectTimeout: 200 * time.Millisecond}, func(t *testing.T, e *env, dial func() *stomptest.Conn) {
		c := dial()
		c.SendRaw([]byte("CONNECT\naccept-vers"))
		start := time.Now()
		if f := c.ExpectError(); f.Header.Get("message") != "connect timeout" {
			t.Fatalf("ERROR %q", f.Header)
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Fatalf("closed after %s", el)
		}
	})
}

// A WebSocket message that declares 1 TiB costs no memory up front: its
// bytes stream into the frame reader, which refuses the frame at the body
// limit.
func TestHugeWebSocketMessage(t *testing.T) {
	e := start(t, server.Config{Limits: frame.Limits{MaxBody: 64 << 10}})
	c := stomptest.DialWS(t, e.wsURL, "", "v12.stomp")
	c.Connect()
	mask := ws.NewMask()
	h := ws.Header{Fin: true, OpCode: ws.OpText, Masked: true, Mask: mask, Length: 1 << 40}
	var buf bytes.Buffer
	ws.WriteHeader(&buf, h)
	payload := []byte("SEND\ndestination:/topic/a\n\n" + strings.Repeat("x", 128<<10))
	ws.Cipher(payload, mask, 0)
	buf.Write(payload)
	c.Raw().SetWriteDeadline(time.Now().Add(5 * time.Second))
	go c.Raw().Write(buf.Bytes()) // the server stops reading part way
	f := c.ExpectError()
	if !strings.Contains(string(f.Body), "body too large") {
		t.Fatalf("ERROR %q %q", f.Header, f.Body)
	}
}

// A client killed in the middle of a frame leaves nothing behind: its
// subscriptions are gone, its unacknowledged queue message goes to another
// subscriber, its transaction is dropped (goleak in TestMain checks the
// goroutines).
func TestKilledMidFrame(t *testing.T) {
	transports(t, server.Config{}, func(t *testing.T, e *env, dial func() *stomptest.Conn) {
		other := dial()
		other.Connect()
		watcher := dial()
		watcher.Connect()
		watcher.Subscribe("w", "/topic/killed")

		victim := dial()
		victim.Connect()
		victim.Subscribe("v", "/queue/killed", "ack", "client-individual")
		victim.Subscribe("t", "/topic/killed")
		victim.SendText("/queue/killed", "unacked")
		victim.Expect(frame.MESSAGE)
		victim.Send(frame.New(frame.BEGIN, "transaction", "tx"))
		victim.SendText("/topic/killed", "in the transaction", "transaction", "tx")
		other.Subscribe("o", "/queue/killed", "ack", "client-individual")
		victim.SendRaw([]byte("SEND\ndestination:/topic/kil"))
		if tc, ok := victim.Raw().(*net.TCPConn); ok {
			tc.SetLinger(0) // reset, not a clean close
		}
		victim.Raw().Close()

		if m := other.Expect(frame.MESSAGE); string(m.Body) != "unacked" || m.Header.Get("redelivered") != "true" {
			t.Fatalf("redelivery %q %q", m.Header, m.Body)
		}
		waitSessions(t, e, 2)
		if q, tp := e.broker.Subscriptions("/queue/killed"), e.broker.Subscriptions("/topic/killed"); q != 1 || tp != 1 {
			t.Fatalf("subscriptions left: queue %d, topic %d", q, tp)
		}
		watcher.ExpectNothing(100 * time.Millisecond) // the transaction died with it
	})
}

// A queue message that reaches an ack:auto session as it closes goes to
// another subscriber instead of being lost.
func TestQueueMessageToClosingSessionIsKept(t *testing.T) {
	e := start(t, server.Config{})
	keeper := stomptest.DialTCP(t, e.tcp)
	keeper.Connect()
	keeper.Subscribe("k", "/queue/closing")
	pub := stomptest.DialTCP(t, e.tcp)
	pub.Connect()
	const n = 200
	got := 0
	for round := range 20 {
		leaver := stomptest.DialTCP(t, e.tcp)
		leaver.Connect()
		// No receipt to wait for: messages the keeper had no room for
		// may reach the leaver before it.
		leaver.Send(frame.New(frame.SUBSCRIBE, "id", "l", "destination", "/queue/closing"))
		for i := range n / 20 {
			pub.SendText("/queue/closing", fmt.Sprint(round*n/20+i))
		}
		leaver.SendRaw([]byte("BOGUS\n\n\x00")) // closes it while messages are in flight
		for {
			f, err := leaver.Read()
			if err != nil || f.Command == frame.ERROR {
				break
			}
			got++ // delivered to it before it closed
		}
	}
	pub.SendText("/queue/closing", "end", "receipt", "r")
	pub.Expect(frame.RECEIPT)
	for {
		m := keeper.Expect(frame.MESSAGE)
		if string(m.Body) == "end" {
			break
		}
		got++
	}
	if got != n {
		t.Fatalf("%d of %d queue messages arrived", got, n)
	}
}
