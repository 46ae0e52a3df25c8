//go:build linux

package netpoll

import (
	"net"
	"syscall"
	"testing"
	"time"
)

// pair returns the two ends of a loopback TCP connection.
func pair(t *testing.T) (server, client *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return s.(*net.TCPConn), c.(*net.TCPConn)
}

func rawConn(t *testing.T, c syscall.Conn) syscall.RawConn {
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func newWaiter() (*Waiter, chan Reason) {
	ch := make(chan Reason, 4)
	return &Waiter{F: func(r Reason, _ *Round) { ch <- r }}, ch
}

func expect(t *testing.T, ch chan Reason, want Reason, within time.Duration) {
	t.Helper()
	select {
	case r := <-ch:
		if r != want {
			t.Fatalf("woken %v, want %v", r, want)
		}
	case <-time.After(within):
		t.Fatalf("not woken within %v, want %v", within, want)
	}
}

func quiet(t *testing.T, ch chan Reason, d time.Duration) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("woken %v, want no call", r)
	case <-time.After(d):
	}
}

func TestWaitWakesWhenBytesArriveAndReadDoesNotBlock(t *testing.T) {
	p := Default()
	srv, cli := pair(t)
	w, ch := newWaiter()
	if err := p.Wait(w, rawConn(t, srv), time.Time{}); err != nil {
		t.Fatal(err)
	}
	quiet(t, ch, 50*time.Millisecond)
	cli.Write([]byte("hello"))
	expect(t, ch, Readable, 2*time.Second)
	srv.SetReadDeadline(time.Now().Add(time.Second))
	buf := make([]byte, 16)
	if n, err := srv.Read(buf); err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	// Parked again (MOD this time) with nothing unread: quiet until more.
	if err := p.Wait(w, rawConn(t, srv), time.Time{}); err != nil {
		t.Fatal(err)
	}
	quiet(t, ch, 50*time.Millisecond)
	cli.Write([]byte("again"))
	expect(t, ch, Readable, 2*time.Second)
}

func TestWaitReportsBytesAlreadyThere(t *testing.T) {
	srv, cli := pair(t)
	cli.Write([]byte("early"))
	time.Sleep(20 * time.Millisecond)
	w, ch := newWaiter()
	if err := Default().Wait(w, rawConn(t, srv), time.Time{}); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, Readable, 2*time.Second)
}

func TestWaitWakesWhenPeerCloses(t *testing.T) {
	srv, cli := pair(t)
	w, ch := newWaiter()
	if err := Default().Wait(w, rawConn(t, srv), time.Time{}); err != nil {
		t.Fatal(err)
	}
	cli.Close()
	expect(t, ch, Readable, 2*time.Second)
}

func TestWaitExpiresAtItsDeadline(t *testing.T) {
	srv, _ := pair(t)
	w, ch := newWaiter()
	start := time.Now()
	if err := Default().Wait(w, rawConn(t, srv), start.Add(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, Expired, 3*time.Second)
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("expired after %v, before its deadline", d)
	}
	quiet(t, ch, 50*time.Millisecond)
}

func TestWakeEndsTheWaitOnce(t *testing.T) {
	p := Default()
	srv, cli := pair(t)
	w, ch := newWaiter()
	if err := p.Wait(w, rawConn(t, srv), time.Now().Add(200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if !p.Wake(w) {
		t.Fatal("Wake of a waiting Waiter reported false")
	}
	expect(t, ch, Woken, 2*time.Second)
	if p.Wake(w) {
		t.Fatal("a second Wake reported true")
	}
	// Neither the deadline nor bytes arriving call it again.
	cli.Write([]byte("late"))
	quiet(t, ch, 400*time.Millisecond)
}

func TestManyWaitersEachWokenOnce(t *testing.T) {
	const n = 200
	p := Default()
	clients := make([]*net.TCPConn, n)
	ch := make(chan int, 2*n)
	ws := make([]Waiter, n)
	for i := range n {
		srv, cli := pair(t)
		clients[i] = cli
		ws[i].F = func(Reason, *Round) { ch <- i }
		if err := p.Wait(&ws[i], rawConn(t, srv), time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range clients {
		c.Write([]byte{'x'})
	}
	seen := make([]bool, n)
	for range n {
		select {
		case i := <-ch:
			if seen[i] {
				t.Fatalf("waiter %d woken twice", i)
			}
			seen[i] = true
		case <-time.After(5 * time.Second):
			t.Fatal("not every waiter was woken")
		}
	}
	select {
	case i := <-ch:
		t.Fatalf("waiter %d woken twice", i)
	case <-time.After(50 * time.Millisecond):
	}
}
