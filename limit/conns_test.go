package limit_test

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stompbox/stompbox/limit"
)

func TestConnsBudgets(t *testing.T) {
	c := &limit.Conns{Max: 3, PerIP: 2}
	a := &net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 1}
	b := &net.TCPAddr{IP: net.ParseIP("192.0.2.2"), Port: 1}
	r1, err := c.Acquire(a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Acquire(a); err != nil {
		t.Fatal(err)
	}
	var le *limit.Error
	if _, err := c.Acquire(a); !errors.As(err, &le) || le.Limit != "max-connections-per-ip" {
		t.Fatalf("third from one IP: %v", err)
	}
	if _, err := c.Acquire(b); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Acquire(&net.TCPAddr{IP: net.ParseIP("192.0.2.3")}); !errors.As(err, &le) || le.Limit != "max-connections" || le.Max != 3 {
		t.Fatalf("fourth in all: %v", err)
	}
	r1()
	r1() // a second release is a no-op
	if _, err := c.Acquire(a); err != nil {
		t.Fatalf("after a release: %v", err)
	}
	if st := c.Stats(); st.Open != 3 || st.Refused != 2 || st.IPs != 2 || st.Peak != 3 {
		t.Fatalf("stats %+v", st)
	}
}

func TestConnsIPv6GroupedBy64(t *testing.T) {
	c := &limit.Conns{PerIP: 1}
	if _, err := c.Acquire(&net.TCPAddr{IP: net.ParseIP("2001:db8::1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Acquire(&net.TCPAddr{IP: net.ParseIP("2001:db8::2")}); err == nil {
		t.Fatal("a second address of the same /64 was let in")
	}
	if _, err := c.Acquire(&net.TCPAddr{IP: net.ParseIP("2001:db8:0:1::1")}); err != nil {
		t.Fatalf("another /64: %v", err)
	}
}

// Over a real socket: the newcomer past the budget reads the refusal and
// then EOF; a connection already in is untouched, and its close frees a place.
func TestListenerRefusesNewcomer(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &limit.Conns{Max: 1}
	ln := limit.Listener(raw, c, func(conn net.Conn, err error) {
		io.WriteString(conn, "refused: "+err.Error()+"\n")
	}, limit.NewWarner(slog.New(slog.DiscardHandler), 0))
	defer ln.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- conn
		}
	}()
	first, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	in := <-accepted
	second, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	second.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(second).ReadString('\n')
	if err != nil || !strings.Contains(line, "max-connections 1") {
		t.Fatalf("newcomer read %q, %v", line, err)
	}
	second.Close()
	// The first connection still works both ways.
	io.WriteString(first, "ping")
	buf := make([]byte, 4)
	in.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(in, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("first connection: %q %v", buf, err)
	}
	in.Close()
	third, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer third.Close()
	select {
	case conn := <-accepted:
		conn.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("a freed place was not given to the next connection")
	}
}

func TestWarnerRateLimits(t *testing.T) {
	var out strings.Builder
	w := limit.NewWarner(slog.New(slog.NewTextHandler(&out, nil)), time.Hour)
	for range 5 {
		w.Warn("too many", "k", 1)
	}
	w.Warn("other")
	if n := strings.Count(out.String(), "msg=\"too many\""); n != 1 {
		t.Fatalf("logged %d times:\n%s", n, out.String())
	}
	if !strings.Contains(out.String(), "msg=other") {
		t.Fatalf("a distinct message was held back:\n%s", out.String())
	}
	var nilW *limit.Warner
	nilW.Warn("nothing") // must not panic
}
