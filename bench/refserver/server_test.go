package refserver_test

import (
	"context"
	"testing"
	"time"

	"github.com/stompbox/stompbox/bench/refserver"
	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/internal/stomptest"
)

// start serves a Server on loopback WebSocket and TCP listeners.
func start(t *testing.T) (srv *refserver.Server, wsURL, tcpAddr string) {
	t.Helper()
	srv = refserver.New(refserver.Config{})
	wsURL, tcpAddr, err := srv.ServeLoopback()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	return srv, wsURL, tcpAddr
}

func TestPubSub(t *testing.T) {
	_, wsURL, tcpAddr := start(t)
	sub := stomptest.DialWS(t, wsURL, "", "v12.stomp")
	if sub.Protocol != "v12.stomp" {
		t.Fatalf("subprotocol %q", sub.Protocol)
	}
	sub.Connect()
	sub.Subscribe("s1", "/topic/a")
	tcp := stomptest.DialTCP(t, tcpAddr)
	tcp.Connect()
	tcp.Subscribe("t1", "/topic/a")

	pub := stomptest.DialTCP(t, tcpAddr)
	if v := pub.Connect().Header.Get("version"); v != "1.2" {
		t.Fatalf("version %q", v)
	}
	pub.SendText("/topic/a", `{"n":1}`, "content-type", "application/json", "receipt", "r1")
	if r := pub.Expect(frame.RECEIPT); r.Header.Get("receipt-id") != "r1" {
		t.Fatalf("receipt %q", r.Header)
	}
	for _, c := range []*stomptest.Conn{sub, tcp} {
		m := c.Expect(frame.MESSAGE)
		if string(m.Body) != `{"n":1}` || m.Header.Get("destination") != "/topic/a" ||
			m.Header.Get("content-type") != "application/json" || m.Header.Get("message-id") == "" {
			t.Fatalf("got %q %q", m.Header, m.Body)
		}
	}
	pub.SendText("/topic/b", "nobody", "receipt", "r2")
	pub.Expect(frame.RECEIPT)
	sub.ExpectNothing(50 * time.Millisecond)

	sub.Send(frame.New(frame.UNSUBSCRIBE, "id", "s1", "receipt", "u"))
	sub.Expect(frame.RECEIPT)
	pub.SendText("/topic/a", "two")
	if m := tcp.Expect(frame.MESSAGE); m.Header.Get("subscription") != "t1" {
		t.Fatalf("subscription %q", m.Header.Get("subscription"))
	}
	sub.ExpectNothing(50 * time.Millisecond)
}

func TestRefuses(t *testing.T) {
	_, _, tcpAddr := start(t)
	c := stomptest.DialTCP(t, tcpAddr)
	c.SendText("/topic/a", "before connect")
	c.ExpectError()

	c = stomptest.DialTCP(t, tcpAddr)
	c.Connect()
	c.Send(frame.New(frame.BEGIN, "transaction", "t"))
	if e := c.ExpectError(); e.Header.Get("message") == "" {
		t.Fatal("ERROR without message")
	}
}

func TestDisconnectCleansUp(t *testing.T) {
	srv, _, tcpAddr := start(t)
	c := stomptest.DialTCP(t, tcpAddr)
	c.Connect()
	c.Subscribe("1", "/topic/a")
	c.Send(frame.New(frame.DISCONNECT, "receipt", "bye"))
	c.Expect(frame.RECEIPT)
	c.ExpectClosed()
	pub := stomptest.DialTCP(t, tcpAddr)
	pub.Connect()
	pub.SendText("/topic/a", "to nobody", "receipt", "r")
	pub.Expect(frame.RECEIPT)
	if n := srv.Conns(); n != 1 {
		t.Fatalf("%d connections open, want 1", n)
	}
}
