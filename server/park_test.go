package server_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/internal/stomptest"
	"github.com/stompbox/stompbox/server"
)

// goroutinesSettle waits up to 6 s (a writer lingers 2 s after its last
// write) for the goroutine count to be at most limit, and returns it.
func goroutinesSettle(limit int) int { return goroutinesSettleWithin(limit, 6*time.Second) }

func goroutinesSettleWithin(limit int, d time.Duration) int {
	deadline := time.Now().Add(d)
	n := runtime.NumGoroutine()
	for n > limit && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n
}

// Idle connected sessions hold no goroutine: they wait on the poller, and
// resume in order when a message comes, for each of them.
func TestIdleSessionsHoldNoGoroutine(t *testing.T) {
	const n = 40
	transports(t, server.Config{}, func(t *testing.T, e *env, dial func() *stomptest.Conn) {
		base := runtime.NumGoroutine()
		conns := make([]*stomptest.Conn, n)
		for i := range conns {
			conns[i] = dial()
			conns[i].Connect()
			conns[i].Subscribe("s", "/topic/idle")
		}
		if got := goroutinesSettle(base + 4); got > base+4 {
			t.Fatalf("%d goroutines with %d idle sessions, %d before: idle sessions hold goroutines", got, n, base)
		}
		// Woken by a frame, each reads it, and all of them get the message.
		for i, c := range conns {
			c.SendText("/topic/idle", fmt.Sprint(i), "receipt", fmt.Sprint(i))
			for {
				f := c.Expect(frame.MESSAGE)
				if string(f.Body) == fmt.Sprint(i) {
					break
				}
			}
			c.Expect(frame.RECEIPT)
		}
		for _, c := range conns {
			c.Send(frame.New(frame.DISCONNECT, "receipt", "bye"))
			for {
				f, err := c.Read()
				if err != nil {
					t.Fatal(err)
				}
				if f.Command == frame.RECEIPT {
					break
				}
			}
		}
		waitSessions(t, e, 0)
	})
}

// The reader writes its own replies (CONNECTED, RECEIPT) with the rest of
// its batch: no writer goroutine is started for them, which would linger
// for writerLinger (2 s) after each.
func TestRepliesStartNoWriter(t *testing.T) {
	const n = 40
	transports(t, server.Config{}, func(t *testing.T, e *env, dial func() *stomptest.Conn) {
		base := runtime.NumGoroutine()
		for range n {
			c := dial()
			c.Connect()
			c.Subscribe("s", "/topic/replies") // with a receipt
		}
		if got := goroutinesSettleWithin(base+4, time.Second); got > base+4 {
			t.Fatalf("%d goroutines a second after %d sessions got their replies, %d before: writers linger for the replies", got, n, base)
		}
	})
}

// A connection that has not sent CONNECT yet waits on the poller too, and
// the wheel still closes it after ConnectTimeout.
func TestUnconnectedSessionsHoldNoGoroutine(t *testing.T) {
	const n = 40
	transports(t, server.Config{ConnectTimeout: 1500 * time.Millisecond}, func(t *testing.T, e *env, dial func() *stomptest.Conn) {
		base := runtime.NumGoroutine()
		conns := make([]*stomptest.Conn, n)
		for i := range conns {
			conns[i] = dial()
		}
		waitSessions(t, e, n)
		if got := goroutinesSettleWithin(base+4, time.Second); got > base+4 {
			t.Fatalf("%d goroutines with %d connections waiting to send CONNECT, %d before", got, n, base)
		}
		for _, c := range conns {
			if f := c.ExpectError(); f.Header.Get("message") != "connect timeout" {
				t.Fatalf("ERROR %q, want connect timeout", f.Header.Get("message"))
			}
		}
		waitSessions(t, e, 0)
	})
}

// The same load with GoroutinePerConnection keeps a goroutine per session:
// the test above would see it.
func TestGoroutinePerConnectionKeepsReaders(t *testing.T) {
	const n = 40
	e := start(t, server.Config{GoroutinePerConnection: true})
	base := runtime.NumGoroutine()
	for range n {
		c := stomptest.DialTCP(t, e.tcp)
		c.Connect()
		c.Subscribe("s", "/topic/idle")
	}
	time.Sleep(2500 * time.Millisecond) // writers end after 2 s; readers stay
	if got := runtime.NumGoroutine(); got < n {
		t.Fatalf("%d goroutines with %d sessions (%d before): want one reader each", got, n, base)
	}
}
