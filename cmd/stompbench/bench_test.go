package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stompbox/stompbox/bench/refserver"
	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/server"
)

// startRef serves the reference server in-process on loopback.
func startRef(t *testing.T) (wsURL, tcpURL string) {
	t.Helper()
	srv := refserver.New(refserver.Config{})
	wsURL, tcpAddr, err := srv.ServeLoopback()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	return wsURL, "tcp://" + tcpAddr
}

// TestRun runs stompbench against the reference server and checks its
// counts, never its timings: every message sent reaches every receiver
// of its room exactly once, and the report says so.
func TestRun(t *testing.T) {
	wsURL, tcpURL := startRef(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"ws rate", []string{"-url", wsURL, "-subs", "20", "-pubs", "3", "-rooms", "2", "-rate", "200"}},
		{"tcp window", []string{"-url", tcpURL, "-subs", "20", "-pubs", "3", "-rooms", "2", "-window", "5"}},
		{"ws window 1.0", []string{"-url", wsURL, "-subs", "5", "-pubs", "1", "-window", "1", "-subprotocol", "v10.stomp", "-size", "1000"}},
		{"idle", []string{"-url", wsURL, "-subs", "10", "-pubs", "0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseOptions(append(tc.args, "-duration", "300ms", "-q"), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			r, err := run(context.Background(), o, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			r.writeTable(&out)
			t.Log("\n" + out.String())
			if r.failed() || r.Foreign > 0 {
				t.Fatalf("run failed: %+v", r)
			}
			if r.Connect.Connections != o.subs+o.pubs {
				t.Fatalf("%d connections, want %d", r.Connect.Connections, o.subs+o.pubs)
			}
			if o.pubs == 0 {
				return
			}
			if r.Sent == 0 || r.Delivered != r.Expected || r.Latency.Count != int64(r.Delivered) {
				t.Fatalf("sent %d, delivered %d, expected %d, latencies %d", r.Sent, r.Delivered, r.Expected, r.Latency.Count)
			}
			// Each room's receivers get each of its publishers' messages.
			receivers := o.subs / o.rooms // the rooms are even here
			if o.windowed() {
				receivers += o.pubs / o.rooms
			}
			if o.pubs%o.rooms == 0 && r.Expected != r.Sent*uint64(receivers) {
				t.Fatalf("expected %d deliveries for %d sent to %d receivers a room", r.Expected, r.Sent, receivers)
			}
		})
	}
}

// TestLossCounted puts a proxy between stompbench and the reference
// server that drops each connection's 3rd MESSAGE and repeats its 5th:
// stompbench must count one lost and one duplicated per subscriber and
// fail the run.
func TestLossCounted(t *testing.T) {
	_, tcpURL := startRef(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go lossyProxy(t, c, strings.TrimPrefix(tcpURL, "tcp://"))
		}
	}()
	o, err := parseOptions([]string{"-url", "tcp://" + ln.Addr().String(), "-subs", "3", "-pubs", "1",
		"-rate", "100", "-duration", "300ms", "-drain", "300ms", "-q"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	r, err := run(context.Background(), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if r.Sent < 5 {
		t.Fatalf("only %d sent", r.Sent)
	}
	if r.Lost != 3 || r.Duplicated != 3 || !r.failed() {
		t.Fatalf("lost %d, duplicated %d, failed %v; want 3, 3, true", r.Lost, r.Duplicated, r.failed())
	}
}

// lossyProxy relays c to addr, dropping the 3rd MESSAGE toward c and
// sending the 5th twice.
func lossyProxy(t *testing.T, c net.Conn, addr string) {
	defer c.Close()
	up, err := net.Dial("tcp", addr)
	if err != nil {
		t.Error(err)
		return
	}
	defer up.Close()
	go io.Copy(up, c)
	rd := frame.NewReader(up, frame.Limits{})
	var f frame.Frame
	for n := 0; ; {
		if err := rd.ReadFrame(&f); err != nil {
			return
		}
		b := frame.AppendFrame(nil, &f, frame.V1_2)
		if f.Command == frame.MESSAGE {
			n++
			switch n {
			case 3:
				continue
			case 5:
				b = append(b, b...)
			}
		}
		if _, err := c.Write(b); err != nil {
			return
		}
	}
}

// mustRun runs stompbench quietly with args and returns its report.
func mustRun(t *testing.T, args ...string) *report {
	t.Helper()
	o, err := parseOptions(append(args, "-q"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	r, err := run(context.Background(), o, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// startBeating serves stompbox over TCP with 100 ms heart-beats both ways
// (a client silent for 200 ms is closed) and returns its address.
func startBeating(t *testing.T) string {
	srv := server.New(server.Config{Broker: broker.NewMemory(), HeartBeatSend: 100 * time.Millisecond,
		HeartBeatReceive: 100 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return ln.Addr().String()
}

// With -heartbeat, connections offer heart-beats and send them: a server
// that closes clients silent for twice the interval keeps every idle one.
func TestHeartbeatsKeepIdleConnections(t *testing.T) {
	addr := startBeating(t)
	r := mustRun(t, "-url", "tcp://"+addr, "-subs", "10", "-pubs", "0", "-heartbeat", "100ms", "-duration", "1s")
	if r.Connect.Connections != 10 || r.SocketErrors != 0 || r.ErrorFrames != 0 {
		t.Fatalf("%d connected, %d socket errors, %d ERROR frames: want 10, 0, 0", r.Connect.Connections, r.SocketErrors, r.ErrorFrames)
	}
	if r.Options.Heartbeat != "100ms" {
		t.Fatalf("report's heartbeat %q", r.Options.Heartbeat)
	}
}

// A connection the server drops is counted once: the heart-beats stop
// going to it, rather than adding an error each interval.
func TestHeartbeatsStopOnADeadConnection(t *testing.T) {
	up := startBeating(t)
	// A proxy that cuts the first connection once it is well under way.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for first := true; ; first = false {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", up)
			if err != nil {
				c.Close()
				continue
			}
			go io.Copy(u, c)
			go io.Copy(c, u)
			if first {
				time.AfterFunc(500*time.Millisecond, func() { c.Close(); u.Close() })
			}
		}
	}()
	r := mustRun(t, "-url", "tcp://"+ln.Addr().String(), "-subs", "3", "-pubs", "0", "-dialers", "1",
		"-heartbeat", "100ms", "-duration", "2s")
	if r.Connect.Connections != 3 || r.SocketErrors != 1 {
		t.Fatalf("%d connected, %d socket errors: want 3 and 1 (the cut connection, once)", r.Connect.Connections, r.SocketErrors)
	}
}

func TestBeatEvery(t *testing.T) {
	for _, tc := range []struct {
		cx        time.Duration
		connected string
		want      time.Duration
	}{
		{10 * time.Second, "10000,10000", 10 * time.Second},
		{time.Second, "10000,5000", 5 * time.Second}, // the server asks for less often
		{10 * time.Second, "10000,0", 0},             // the server wants none
		{0, "10000,10000", 0},                        // we offered none
		{time.Second, "", 0},                         // STOMP 1.0: no header
	} {
		if got := beatEvery(tc.cx, tc.connected); got != tc.want {
			t.Errorf("beatEvery(%v, %q) = %v, want %v", tc.cx, tc.connected, got, tc.want)
		}
	}
}
