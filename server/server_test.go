package server_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"go.uber.org/goleak"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/chat"
	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/internal/stomptest"
	"github.com/stompbox/stompbox/messaging"
	"github.com/stompbox/stompbox/server"
)

// The process's poller (internal/netpoll) runs for its life, by design.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/stompbox/stompbox/internal/netpoll.(*Poller).run"))
}

// env is a running server with the chat application, on WebSocket and TCP.
type env struct {
	srv    *server.Server
	broker *broker.Memory
	http   *httptest.Server
	wsURL  string
	tcp    string
}

func quietLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func start(t *testing.T, cfg server.Config) *env {
	t.Helper()
	return startWith(t, cfg, broker.MemoryConfig{})
}

// startWith is start with a broker configured by bc.
func startWith(t *testing.T, cfg server.Config, bc broker.MemoryConfig) *env {
	t.Helper()
	b := broker.NewMemoryConfig(bc)
	r := messaging.NewRouter(messaging.Config{Broker: b, Logger: quietLogger()})
	chat.RegisterSeed(r, quietLogger())
	cfg.Broker, cfg.App, cfg.Logger = b, r, quietLogger()
	srv := server.New(cfg)
	mux := http.NewServeMux()
	mux.Handle("/chat-app", srv)
	hs := httptest.NewServer(mux)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		<-done
		hs.Close()
	})
	return &env{srv: srv, broker: b, http: hs, wsURL: "ws" + strings.TrimPrefix(hs.URL, "http") + "/chat-app", tcp: ln.Addr().String()}
}

// waitSessions waits up to 5s for the server to have n sessions.
func waitSessions(t *testing.T, e *env, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for e.srv.Sessions() != n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := e.srv.Sessions(); got != n {
		t.Fatalf("%d sessions open, want %d", got, n)
	}
}

// transports runs f over WebSocket and over TCP.
func transports(t *testing.T, cfg server.Config, f func(t *testing.T, e *env, dial func() *stomptest.Conn)) {
	t.Run("websocket", func(t *testing.T) {
		e := start(t, cfg)
		f(t, e, func() *stomptest.Conn { return stomptest.DialWS(t, e.wsURL, "", "v12.stomp") })
	})
	t.Run("tcp", func(t *testing.T) {
		e := start(t, cfg)
		f(t, e, func() *stomptest.Conn { return stomptest.DialTCP(t, e.tcp) })
	})
}

func TestSubprotocolNegotiation(t *testing.T) {
	e := start(t, server.Config{})
	cases := []struct {
		offer []string
		want  string
	}{
		{[]string{"v10.stomp", "v11.stomp"}, "v11.stomp"}, // the seed's handshake: highest offered
		{[]string{"v10.stomp", "v11.stomp", "v12.stomp"}, "v12.stomp"},
		{[]string{"v12.stomp", "v11.stomp", "v10.stomp"}, "v12.stomp"}, // stompjs
		{[]string{"v10.stomp"}, "v10.stomp"},
		{[]string{"mqtt", "v11.stomp"}, "v11.stomp"},
		{nil, ""},
	}
	for _, c := range cases {
		conn := stomptest.DialWS(t, e.wsURL, "", c.offer...)
		if conn.Protocol != c.want {
			t.Errorf("offer %v: got %q, want %q", c.offer, conn.Protocol, c.want)
		}
		conn.Connect()
	}
}

func TestOriginCheck(t *testing.T) {
	e := start(t, server.Config{})
	host := strings.TrimPrefix(e.http.URL, "http://")
	for _, c := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"http://" + host, true},
		{"https://" + host, true},
		{"http://evil.example", false},
		{"http://" + host + ".evil.example", false},
		{"null", false},
	} {
		conn, err := stomptest.TryDialWS(e.wsURL, c.origin, "v12.stomp")
		if err == nil {
			conn.Raw().Close()
		}
		if (err == nil) != c.ok {
			t.Errorf("origin %q: err = %v, want allowed=%v", c.origin, err, c.ok)
		}
	}
	e2 := start(t, server.Config{AllowedOrigins: []string{"https://chat.example.com"}})
	if c, err := stomptest.TryDialWS(e2.wsURL, "https://chat.example.com"); err != nil {
		t.Errorf("listed origin refused: %v", err)
	} else {
		c.Raw().Close()
	}
	if _, err := stomptest.TryDialWS(e2.wsURL, "http://"+strings.TrimPrefix(e2.http.URL, "http://")); err == nil {
		t.Errorf("same origin allowed although an allow-list is set")
	}
	e3 := start(t, server.Config{AllowedOrigins: []string{"*"}})
	if c, err := stomptest.TryDialWS(e3.wsURL, "http://anything.example"); err != nil {
		t.Errorf("* refused an origin: %v", err)
	} else {
		c.Raw().Close()
	}
}

func TestPlainHTTPGetsUpgradeRequired(t *testing.T) {
	e := start(t, server.Config{})
	resp, err := http.Get(e.http.URL + "/chat-app")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestConnectNegotiation(t *testing.T) {
	transports(t, server.Config{HeartBeatSend: 5 * time.Second, HeartBeatReceive: 7 * time.Second}, func(t *testing.T, e *env, dial func() *stomptest.Conn) {
		cases := []struct {
			kv      []string
			version string
			hb      string
		}{
			{[]string{"accept-version", "1.0,1.1,1.2", "heart-beat", "1000,1000"}, "1.2", "5000,7000"},
			{[]string{"accept-version", "1.1"}, "1.1", "5000,7000"},
			{[]string{"accept-version", "1.0"}, "1.0", ""},
			{nil, "1.0", ""}, // no accept-version: STOMP 1.0
		}
		for _, c := range cases {
			conn := dial()
			conn.Send(frame.New(frame.CONNECT, c.kv...))
			f := conn.Expect(frame.CONNECTED)
			if got := f.Header.Get("version"); got != c.version {
				t.Errorf("%v: version %q, want %q", c.kv, got, c.version)
			}
			if got := f.Header.Get("heart-beat"); got != c.hb {
				t.Errorf("%v: heart-beat %q, want %q", c.kv, got, c.hb)
			}
			if len(f.Header.Get("session")) < 20 || !strings.HasPrefix(f.Header.Get("server"), "stompbox/") {
				t.Errorf("CONNECTED %q", f.Header)
			}
		}
		conn := dial()
		conn.Send(frame.New(frame.STOMP, "accept-version", "1.2", "host", "x"))
		conn.Expect(frame.CONNECTED)

		conn = dial()
		conn.Send(frame.New(frame.CONNECT, "accept-version", "2.0,3.1"))
		if f := conn.ExpectError(); !strings.Contains(string(f.Body), "1.2") {
			t.Errorf("unsupported version ERROR %q %q", f.Header, f.Body)
		}
		conn = dial()
		conn.Send(frame.New(frame.CONNECT, "accept-version", "1.2", "heart-beat", "soon"))
		conn.ExpectError()
	})
}

// Session ids are distinct and unguessable (120 random bits).
func TestSessionIDsDiffer(t *testing.T) {
	e := start(t, server.Config{})
	seen := map[string]bool{}
	for range 20 {
		id := stomptest.DialTCP(t, e.tcp).Connect().Header.Get("session")
		if seen[id] {
			t.Fatalf("session id %s repeated", id)
		}
		seen[id] = true
	}
}

// The seed's exchange through the application layer: greetings and chat
// lines reach every subscriber, once, in order, with server-owned headers.
func TestChatThroughApplication(t *testing.T) {
	transports(t, server.Config{}, func(t *testing.T, e *env, dial func() *stomptest.Conn) {
		a, b := dial(), dial()
		a.Connect()
		b.Connect()
		for _, c := range []*stomptest.Conn{a, b} {
			c.Subscribe("g", "/topic/greetings")
			c.Subscribe("c", "/topic/chat")
		}
		a.SendText("/app/hello", `{"name":"홍길동"}`, "receipt", "h1")
		for _, c := range []*stomptest.Conn{a, b} {
			m := c.Expect(frame.MESSAGE)
			if m.Header.Get("destination") != "/topic/greetings" || m.Header.Get("subscription") != "g" ||
				m.Header.Get("content-type") != "application/json" || string(m.Body) != `{"name":"홍길동"}` {
				t.Fatalf("greeting %q %q", m.Header, m.Body)
			}
		}
		a.Expect(frame.RECEIPT) // after the handler's result was routed
		const n = 100
		for i := range n {
			a.SendText("/app/chat", fmt.Sprintf(`{"name":"홍길동","content":"%d"}`, i))
		}
		for _, c := range []*stomptest.Conn{a, b} {
			ids := map[string]bool{}
			for i := range n {
				m := c.Expect(frame.MESSAGE)
				if want := fmt.Sprintf(`{"name":"홍길동","content":"%d"}`, i); string(m.Body) != want {
					t.Fatalf("message %d: %q, want %q", i, m.Body, want)
				}
				id := m.Header.Get("message-id")
				if id == "" || ids[id] {
					t.Fatalf("message-id %q missing or repeated", id)
				}
				ids[id] = true
			}
		}
	})
}

// Clients may SEND straight to a /topic destination, as in Spring; a
// receipt for SUBSCRIBE means the subscription is live.
func TestDirectTopicSendAndReceipts(t *testing.T) {
	transports(t, server.Config{}, func(t *testing.T, e *env, dial func() *stomptest.Conn) {
		pub, sub := dial(), dial()
		pub.Connect()
		sub.Connect()
		sub.Subscribe("1", "/topic/news")
		pub.SendText("/topic/news", "extra", "receipt", "r-1", "x-custom", "kept", "message-id", "forged", "subscription", "forged")
		if r := pub.Expect(frame.RECEIPT); r.Header.Get("receipt-id") != "r-1" {
			t.Fatalf("receipt %q", r.Header)
		}
		m := sub.Expect(frame.MESSAGE)
		if string(m.Body) != "extra" || m.Header.Get("x-custom") != "kept" || m.Header.Get("subscription") != "1" ||
			strings.Contains(m.Header.Get("message-id"), "forged") {
			t.Fatalf("message %q %q", m.Header, m.Body)
		}
		sub.Send(frame.New(frame.UNSUBSCRIBE, "id", "1", "receipt", "u"))
		sub.Expect(frame.RECEIPT)
		if n := e.broker.Subscriptions("/topic/news"); n != 0 {
			t.Fatalf("%d subscriptions after UNSUBSCRIBE", n)
		}
		sub.Send(frame.New(frame.DISCONNECT, "receipt", "bye"))
		if r := sub.Expect(frame.RECEIPT); r.Header.Get("receipt-id") != "bye" {
			t.Fatalf("disconnect receipt %q", r.Header)
		}
		sub.ExpectClosed()
	})
}

// Frames may span WebSocket messages, and one message may carry several
// frames and heart-beats.
func TestWebSocketFraming(t *testing.T) {
	e := start(t, server.Config{})
	c := stomptest.DialWS(t, e.wsURL, "", "v12.stomp")
	wire := "CONNECT\naccept-version:1.2\nheart-beat:0,0\n\n\x00" +
		"\nSUBSCRIBE\nid:1\ndestination:/topic/t\n\n\x00\n" +
		"SEND\ndestination:/topic/t\ncontent-length:3\n\na\x00b\x00SEND\ndestination:/topic/t\nreceipt:end\n\nsplit body\x00"
	for i := 0; i < len(wire); i += 7 {
		c.SendRaw([]byte(wire[i:min(i+7, len(wire))]))
	}
	c.Expect(frame.CONNECTED)
	if m := c.Expect(frame.MESSAGE); string(m.Body) != "a\x00b" {
		t.Fatalf("body %q", m.Body)
	}
	if m := c.Expect(frame.MESSAGE); string(m.Body) != "split body" {
		t.Fatalf("body %q", m.Body)
	}
	c.Expect(frame.RECEIPT)
	// A binary message in, a non-UTF-8 body out in a binary message.
	if err := c.WriteMessage(ws.OpBinary, []byte("SEND\ndestination:/topic/t\ncontent-length:2\n\n\xff\xfe\x00")); err != nil {
		t.Fatal(err)
	}
	if m := c.Expect(frame.MESSAGE); string(m.Body) != "\xff\xfe" || c.LastOpCode() != ws.OpBinary {
		t.Fatalf("body %q in opcode %v", m.Body, c.LastOpCode())
	}
	c.SendText("/topic/t", "text")
	if c.Expect(frame.MESSAGE); c.LastOpCode() != ws.OpText {
		t.Fatalf("UTF-8 body in opcode %v", c.LastOpCode())
	}
}

// An unmasked client frame is a WebSocket protocol error: close 1002.
func TestWebSocketProtocolError(t *testing.T) {
	e := start(t, server.Config{})
	c := stomptest.DialWS(t, e.wsURL, "", "v12.stomp")
	c.Connect()
	if err := ws.WriteFrame(c.Raw(), ws.NewTextFrame([]byte("SEND\n\n\x00"))); err != nil {
		t.Fatal(err)
	}
	c.ExpectClosed()
	if c.CloseCode() != 1002 {
		t.Fatalf("close code %d, want 1002", c.CloseCode())
	}
}

func TestHeartBeats(t *testing.T) {
	cfg := server.Config{HeartBeatSend: 20 * time.Millisecond, HeartBeatReceive: 100 * time.Millisecond}
	transports(t, cfg, func(t *testing.T, e *env, dial func() *stomptest.Conn) {
		// The server sends EOLs when idle; the client keeps sending its own
		// and stays connected past several intervals. The server offers
		// no faster than its timing wheel turns (100 ms), whatever the
		// configuration says.
		c := dial()
		c.Send(frame.New(frame.CONNECT, "accept-version", "1.2", "heart-beat", "100,50"))
		if hb := c.Expect(frame.CONNECTED).Header.Get("heart-beat"); hb != "100,100" {
			t.Fatalf("heart-beat %q", hb)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					c.WriteMessage(ws.OpText, []byte("\n"))
				}
			}
		})
		time.Sleep(600 * time.Millisecond)
		close(stop)
		wg.Wait()
		c.SendText("/topic/x", "alive", "receipt", "r")
		c.Expect(frame.RECEIPT)
		// Heart-beats are counted by the reader: EOLs arrived while idle.
		// A silent client is closed after twice the interval.
		c.ExpectClosed()
	})
}

// Heart-beats fill silences only: while messages flow, none is sent; once
// they stop, the beats come.
func TestHeartBeatsOnlyWhenQuiet(t *testing.T) {
	// From the poller's timing wheel, and from a runtime timer without it.
	for _, perConn := range []bool{false, true} {
		t.Run(fmt.Sprint("GoroutinePerConnection=", perConn), func(t *testing.T) {
			heartBeatsOnlyWhenQuiet(t, server.Config{HeartBeatSend: 500 * time.Millisecond, GoroutinePerConnection: perConn})
		})
	}
}

func heartBeatsOnlyWhenQuiet(t *testing.T, cfg server.Config) {
	addr := start(t, cfg).tcp
	sub := stomptest.DialTCP(t, addr)
	sub.Send(frame.New(frame.CONNECT, "accept-version", "1.2", "heart-beat", "0,500"))
	if hb := sub.Expect(frame.CONNECTED).Header.Get("heart-beat"); !strings.HasPrefix(hb, "500,") {
		t.Fatalf("CONNECTED heart-beat %q", hb)
	}
	sub.Subscribe("s", "/topic/hb")
	pub := stomptest.DialTCP(t, addr)
	pub.Connect()

	beats := make(chan int, 16) // how many EOLs came between frames, per phase
	frames := make(chan int, 16)
	next := make(chan struct{})
	go func() {
		raw := sub.Raw()
		buf := make([]byte, 4096)
		inFrame, n, f := false, 0, 0
		for {
			raw.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			m, err := raw.Read(buf)
			for _, b := range buf[:m] {
				switch {
				case inFrame && b == 0:
					inFrame = false
					f++
				case inFrame:
				case b == '\n' || b == '\r':
					n++
				default:
					inFrame = true
				}
			}
			if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				close(beats)
				return
			}
			select {
			case <-next:
				beats <- n
				frames <- f
				n, f = 0, 0
			default:
			}
		}
	}()
	// Busy: a message every 25 ms for 1.5 s, three intervals.
	for i := range 60 {
		pub.SendText("/topic/hb", fmt.Sprint(i))
		time.Sleep(25 * time.Millisecond)
	}
	next <- struct{}{}
	if n, f := <-beats, <-frames; n != 0 || f != 60 {
		t.Fatalf("while messages flowed: %d heart-beats and %d frames, want 0 and 60", n, f)
	}
	// Quiet for three intervals.
	time.Sleep(1500 * time.Millisecond)
	next <- struct{}{}
	if n := <-beats; n < 2 {
		t.Fatalf("quiet for three intervals: %d heart-beats, want 2 or more", n)
	}
}

// A client that stops reading is cut off at its queue limit; publishers and
// other subscribers are not held up.
func TestSlowConsumerIsCutOff(t *testing.T) {
	transports(t, server.Config{MaxQueuedBytes: 1 << 20, WriteTimeout: 500 * time.Millisecond}, func(t *testing.T, e *env, dial func() *stomptest.Conn) {
		slow, fast, pub := dial(), dial(), dial()
		for _, c := range []*stomptest.Conn{slow, fast, pub} {
			c.Connect()
		}
		slow.Subscribe("s", "/topic/flood")
		fast.Subscribe("f", "/topic/flood")
		if tc, ok := slow.Raw().(*net.TCPConn); ok {
			tc.SetReadBuffer(4096)
		}
		// 20 MB in rounds paced by the fast subscriber, so only the slow one
		// falls behind: past its socket buffers and its queue limit.
		body := strings.Repeat("x", 4000)
		const rounds, each = 100, 50
		for range rounds {
			for range each {
				pub.SendText("/topic/flood", body)
			}
			for range each {
				fast.Expect(frame.MESSAGE)
			}
		}
		waitSessions(t, e, 2) // the slow one was closed
	})
}

// Shutdown sends every WebSocket client a close (going away) and ends
// every session.
func TestShutdownClosesClients(t *testing.T) {
	e := start(t, server.Config{})
	var conns []*stomptest.Conn
	for range 3 {
		c := stomptest.DialWS(t, e.wsURL, "", "v12.stomp")
		c.Connect()
		conns = append(conns, c)
	}
	tc := stomptest.DialTCP(t, e.tcp)
	tc.Connect()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		c.ExpectClosed()
		if c.CloseCode() != 1001 {
			t.Errorf("close code %d, want 1001", c.CloseCode())
		}
	}
	tc.ExpectClosed()
	if n := e.broker.Subscriptions("/topic/chat"); n != 0 || e.srv.Sessions() != 0 {
		t.Fatalf("%d sessions left", e.srv.Sessions())
	}
}

// A connection that never sends CONNECT is closed after ConnectTimeout.
func TestConnectTimeout(t *testing.T) {
	e := start(t, server.Config{ConnectTimeout: 100 * time.Millisecond})
	c := stomptest.DialTCP(t, e.tcp)
	if f := c.ExpectError(); f.Header.Get("message") != "connect timeout" {
		t.Fatalf("ERROR %q", f.Header)
	}
}

// TCP and WebSocket sessions share one broker: each hears the other.
func TestTransportsShareTheBroker(t *testing.T) {
	e := start(t, server.Config{})
	wsc := stomptest.DialWS(t, e.wsURL, "", "v12.stomp")
	tcp := stomptest.DialTCP(t, e.tcp)
	for _, c := range []*stomptest.Conn{wsc, tcp} {
		c.Connect()
		c.Subscribe("1", "/topic/shared")
	}
	wsc.SendText("/topic/shared", "from websocket")
	tcp.SendText("/topic/shared", "from tcp")
	for _, c := range []*stomptest.Conn{wsc, tcp} {
		if a, b := c.Expect(frame.MESSAGE), c.Expect(frame.MESSAGE); string(a.Body)+"|"+string(b.Body) != "from websocket|from tcp" &&
			string(a.Body)+"|"+string(b.Body) != "from tcp|from websocket" {
			t.Fatalf("got %q and %q", a.Body, b.Body)
		}
	}
}
