package server_test

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"time"

	"github.com/stompbox/stompbox/broker"
	"strings"
	"testing"

	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/internal/stomptest"
	"github.com/stompbox/stompbox/server"
)

// A publisher's reader writes its subscribers' messages itself (flush.go).
// A subscriber whose socket takes only part of them (it is not reading)
// gets the rest from a writer goroutine, in order, and neither the
// publisher nor a prompt subscriber waits for it.
func TestSlowSubscriberDoesNotHoldUpPublisher(t *testing.T) {
	const n, size = 2500, 2 << 10 // 5 MB: more than loopback buffers hold; the rest, less than MaxQueuedBytes
	transports(t, server.Config{}, func(t *testing.T, e *env, dial func() *stomptest.Conn) {
		slow := dial()
		slow.Connect()
		if tc, ok := slow.Raw().(*net.TCPConn); ok {
			tc.SetReadBuffer(64 << 10) // no autotuning: the server's socket fills
		}
		slow.Subscribe("s", "/topic/flush")
		prompt := dial()
		prompt.Connect()
		prompt.Subscribe("p", "/topic/flush")
		pub := dial()
		pub.Connect()

		got := make(chan error, 1)
		go func() { got <- readBodies(prompt, n, size) }()
		body := strings.Repeat("x", size-8)
		for i := range n {
			pub.SendText("/topic/flush", fmt.Sprintf("%08d", i)+body)
		}
		pub.Send(frame.New(frame.DISCONNECT, "receipt", "done"))
		pub.Expect(frame.RECEIPT) // the publisher is through while slow has read nothing
		if err := <-got; err != nil {
			t.Fatalf("prompt subscriber: %v", err)
		}
		if err := readBodies(slow, n, size); err != nil {
			t.Fatalf("slow subscriber: %v", err)
		}
	})
}

// readBodies reads n MESSAGEs and checks they are numbered 0 to n-1 in
// order, each of the given size.
func readBodies(c *stomptest.Conn, n, size int) error {
	for i := range n {
		f, err := c.Read()
		if err != nil {
			return fmt.Errorf("message %d: %v", i, err)
		}
		if f.Command != frame.MESSAGE {
			return fmt.Errorf("message %d: got %s %q", i, f.Command, f.Body)
		}
		if want := fmt.Sprintf("%08d", i); len(f.Body) != size || string(f.Body[:8]) != want {
			return fmt.Errorf("message %d: body of %d bytes starting %q, want %d bytes starting %q", i, len(f.Body), f.Body[:min(8, len(f.Body))], size, want)
		}
	}
	return nil
}

// blockingApp holds every SEND to /app/block until release is closed.
type blockingApp struct{ release chan struct{} }

func (a blockingApp) HandleSend(ctx context.Context, m *broker.Message) (bool, error) {
	if m.Destination != "/app/block" {
		return false, nil
	}
	<-a.release
	return true, nil
}

// startBlocking starts a server over TCP whose application holds every
// SEND to /app/block until the test ends, and returns its address.
func startBlocking(t *testing.T) string {
	release := make(chan struct{})
	srv := server.New(server.Config{Broker: broker.NewMemory(), App: blockingApp{release}, Logger: quietLogger()})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		close(release)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return ln.Addr().String()
}

// dialRound connects a subscriber of /topic/round, a client to block in
// the handler, and n publishers, and waits for them to park.
func dialRound(t *testing.T, addr string, n int) (sub, blocker *stomptest.Conn, pubs []*stomptest.Conn) {
	sub = stomptest.DialTCP(t, addr)
	sub.Connect()
	sub.Subscribe("s", "/topic/round")
	blocker = stomptest.DialTCP(t, addr)
	blocker.Connect()
	pubs = make([]*stomptest.Conn, n)
	for i := range pubs {
		pubs[i] = stomptest.DialTCP(t, addr)
		pubs[i].Connect()
	}
	time.Sleep(100 * time.Millisecond) // all of them parked
	return sub, blocker, pubs
}

// A publisher's reader held up in an application handler does not hold up
// the subscribers of what it published just before: after appStall,
// writer goroutines make the writes it had left for later.
func TestStalledReaderDoesNotHoldUpSubscribers(t *testing.T) {
	addr := startBlocking(t)
	sub := stomptest.DialTCP(t, addr)
	sub.Connect()
	sub.Subscribe("s", "/topic/stall")
	pub := stomptest.DialTCP(t, addr)
	pub.Connect()
	// One write: the first SEND is handled with the second already
	// buffered, so its delivery waits for the end of the batch, which the
	// second's handler holds up.
	var wire []byte
	m := frame.New(frame.SEND, "destination", "/topic/stall")
	m.Body = []byte("before the stall")
	wire = frame.AppendFrame(wire, m, frame.V1_2)
	wire = frame.AppendFrame(wire, frame.New(frame.SEND, "destination", "/app/block"), frame.V1_2)
	pub.SendRaw(wire)
	if f := sub.Expect(frame.MESSAGE); string(f.Body) != "before the stall" {
		t.Fatalf("got %q", f.Body)
	}
}

// Readers the poller wakes together (a round) leave their subscribers'
// writes to the last of them to finish. One of them held up in an
// application handler must hold up neither those writes nor the reading
// of other sockets.
func TestRoundDoesNotWaitForABlockedReader(t *testing.T) {
	addr := startBlocking(t)
	const n = 20
	sub, blocker, pubs := dialRound(t, addr, n)
	// On one P the server's poller cannot run while this goroutine
	// writes: it finds all of them ready at once, one round.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for wave := range 2 {
		if wave == 0 {
			blocker.SendText("/app/block", "")
		}
		for i, p := range pubs {
			p.SendText("/topic/round", fmt.Sprint(wave, " ", i))
		}
		seen := map[string]bool{}
		for range n {
			f := sub.Expect(frame.MESSAGE)
			seen[string(f.Body)] = true
		}
		for i := range pubs {
			if b := fmt.Sprint(wave, " ", i); !seen[b] {
				t.Fatalf("wave %d: no %q among %v", wave, b, seen)
			}
		}
	}
}

// The last reader of a round to run goes into a handler that does not
// return: the writes the round holds for the others are made anyway, at
// once, not when (or if) the handler returns.
func TestRoundHoldsNoWritesForAReaderInAHandler(t *testing.T) {
	addr := startBlocking(t)
	const n = 8
	sub, blocker, pubs := dialRound(t, addr, n)
	// One round (see TestRoundDoesNotWaitForABlockedReader), in which the
	// blocker has the most to do before its handler: it is likely the
	// last to run when it blocks.
	restore := runtime.GOMAXPROCS(1)
	var burst []byte
	for range 60 {
		burst = frame.AppendFrame(burst, frame.New(frame.SEND, "destination", "/topic/nobody"), frame.V1_2)
	}
	burst = frame.AppendFrame(burst, frame.New(frame.SEND, "destination", "/app/block"), frame.V1_2)
	blocker.SendRaw(burst)
	for i, p := range pubs {
		p.SendText("/topic/round", fmt.Sprint(i))
	}
	runtime.GOMAXPROCS(restore)
	for range n {
		sub.Expect(frame.MESSAGE)
	}
}
