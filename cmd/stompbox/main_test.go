package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOptions(t *testing.T) {
	env := map[string]string{"STOMPBOX_ADDR": "127.0.0.1:9999", "STOMPBOX_ALLOWED_ORIGINS": "https://a.example"}
	getenv := func(k string) string { return env[k] }
	o, err := parseOptions(nil, getenv, io.Discard)
	if err != nil || o.addr != "127.0.0.1:9999" || o.allowedOrigins != "https://a.example" || o.stompAddr != "" {
		t.Fatalf("from env: %+v, %v", o, err)
	}
	env["STOMPBOX_MAX_BODY"] = "2048"
	env["STOMPBOX_HEARTBEAT_SEND"] = "0"
	o, err = parseOptions([]string{"-max-headers", "9"}, getenv, io.Discard)
	if err != nil || o.stomp.Limits.MaxBody != 2048 || o.stomp.Limits.MaxHeaders != 9 || o.stomp.HeartBeatSend >= 0 {
		t.Fatalf("limits from env and flags: %+v, %v", o.stomp, err)
	}
	env["STOMPBOX_MAX_BODY"] = "lots"
	if _, err := parseOptions(nil, getenv, io.Discard); err == nil || !strings.Contains(err.Error(), "STOMPBOX_MAX_BODY") {
		t.Fatalf("a bad env value: %v", err)
	}
	delete(env, "STOMPBOX_MAX_BODY")
	o, err = parseOptions([]string{"-addr", "127.0.0.1:1"}, getenv, io.Discard)
	if err != nil || o.addr != "127.0.0.1:1" {
		t.Fatalf("flag should win over env: %+v, %v", o, err)
	}
	o, _ = parseOptions(nil, func(string) string { return "" }, io.Discard)
	if o.addr != ":8080" {
		t.Fatalf("default addr %q", o.addr)
	}
	var help bytes.Buffer
	if _, err := parseOptions([]string{"-h"}, getenv, &help); !errors.Is(err, flag.ErrHelp) || !strings.Contains(help.String(), "-stomp-addr") || !strings.Contains(help.String(), "-metrics-addr") {
		t.Fatalf("-h: %v, %q", err, help.String())
	}
	if _, err := parseOptions([]string{"extra"}, getenv, io.Discard); err == nil {
		t.Fatal("a stray argument was accepted")
	}
	for _, o := range []*options{{logLevel: "loud", logFormat: "text"}, {logLevel: "info", logFormat: "xml"}} {
		if _, err := newLogger(o, io.Discard); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// syncBuffer is a log sink the test can read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// run serves /healthz, the page and the endpoint, and stops cleanly when
// its context ends.
func TestRunServesAndStops(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, &options{addr: "127.0.0.1:0", stompAddr: "127.0.0.1:0", shutdownGrace: 5 * time.Second, data: t.TempDir()}, log)
	}()

	addrRe := regexp.MustCompile(`msg=listening addr=(\S+)`)
	var addr string
	for deadline := time.Now().Add(5 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := addrRe.FindStringSubmatch(logs.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("no listening line in %q", logs.String())
	}
	for path, want := range map[string]int{"/healthz": 200, "/chat-app": http.StatusUpgradeRequired, "/no-such-page": 404, "/api/rooms/lobby/messages": 200, "/api/rooms/no.dots/messages": 400, "/classic/": 200, "/readyz": 200} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
	if !strings.Contains(logs.String(), "STOMP over TCP") || !strings.Contains(logs.String(), "msg=stopped") {
		t.Errorf("logs: %s", logs.String())
	}
}

// -history takes a postgres:// URL; anything else is refused, and a
// password never reaches the error or the log.
func TestHistoryFlag(t *testing.T) {
	_, err := openHistory(context.Background(), &options{history: "mysql://u:hunter2@db/x"}, slog.New(slog.DiscardHandler))
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "postgres://") {
		t.Fatalf("a mysql URL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = openHistory(ctx, &options{history: "postgres://u:hunter2@127.0.0.1:1/x?connect_timeout=1"}, slog.New(slog.DiscardHandler))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("an unreachable database: %v", err)
	}
}

// -metrics-addr serves /metrics alone, and -debug-addr serves it beside
// the profiler; both show the stompbox collectors.
func TestMetricsListeners(t *testing.T) {
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, &options{addr: "127.0.0.1:0", debugAddr: "127.0.0.1:0", metricsAddr: "127.0.0.1:0", shutdownGrace: 5 * time.Second, data: t.TempDir()}, log)
	}()
	addrs := map[string]string{}
	re := regexp.MustCompile(`msg="listening for (debug|metrics)" addr=(\S+)`)
	for deadline := time.Now().Add(5 * time.Second); len(addrs) < 2 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, m := range re.FindAllStringSubmatch(logs.String(), -1) {
			addrs[m[1]] = m[2]
		}
	}
	if len(addrs) < 2 {
		t.Fatalf("listeners %v in %q", addrs, logs.String())
	}
	for _, c := range []struct {
		addr, path string
		want       int
	}{
		{addrs["metrics"], "/metrics", 200},
		{addrs["metrics"], "/debug/vars", 404}, // the profiler and vars are not on the metrics listener
		{addrs["metrics"], "/debug/pprof/", 404},
		{addrs["debug"], "/metrics", 200},
		{addrs["debug"], "/debug/vars", 200},
	} {
		resp, err := http.Get("http://" + c.addr + c.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET %s on %s: %d, want %d", c.path, c.addr, resp.StatusCode, c.want)
		}
		if c.path == "/metrics" {
			for _, name := range []string{"stompbox_stomp_sessions", "stompbox_connections_open", "stompbox_sse_streams", "stompbox_broker_destinations", "go_goroutines"} {
				if !strings.Contains(string(body), "\n"+name+" ") {
					t.Errorf("no %s on %s", name, c.addr)
				}
			}
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
}
