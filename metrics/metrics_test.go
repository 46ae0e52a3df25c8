package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/history"
	"github.com/stompbox/stompbox/internal/stomptest"
	"github.com/stompbox/stompbox/messaging"
	"github.com/stompbox/stompbox/metrics"
	"github.com/stompbox/stompbox/server"
)

// A server with a router and a store, its metrics scraped over HTTP and
// parsed as Prometheus parses them: the counters move with STOMP traffic,
// and nothing a client sent shows up in a label.
func TestScrapeFollowsTraffic(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	b := broker.NewMemory()
	reg := metrics.NewRegistry()
	handlers := metrics.NewHandlers()
	store := metrics.TimeStore(history.NewMemory(history.MemoryConfig{}))
	t.Cleanup(func() { store.Close() })
	router := messaging.NewRouter(messaging.Config{Broker: b, Logger: log, OnHandled: handlers.Observe})
	messaging.Handle(router, "/echo/{room}", func(ctx context.Context, in string) (string, error) {
		_, _, err := store.Append(ctx, history.Message{Room: messaging.Var(ctx, "room"), Name: "n", Content: in})
		return in, err
	}, messaging.SendTo("/topic/echo.{room}"))
	srv := server.New(server.Config{Broker: b, App: router, Logger: log, MaxQueuedBytes: 64 << 10, WriteTimeout: 5 * time.Second})
	router.Users = srv
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	reg.MustRegister(handlers, store, metrics.NewServerCollector(srv.Stats), metrics.NewBrokerCollector(b.Stats))
	hs := httptest.NewServer(metrics.Handler(reg))
	t.Cleanup(hs.Close)

	before := scrape(t, hs.URL)
	if v := value(before, "stompbox_stomp_frames_received_total", "command", "SEND"); v != 0 {
		t.Fatalf("SENDs before any: %v", v)
	}

	addr := ln.Addr().String()
	sub, pub := stomptest.DialTCP(t, addr), stomptest.DialTCP(t, addr)
	sub.Connect()
	pub.Connect()
	sub.Subscribe("1", "/topic/echo.secret-room")
	const n = 5
	for range n {
		pub.SendText("/app/echo/secret-room", "secret text")
	}
	for range n {
		sub.Expect(frame.MESSAGE)
	}

	// Written frames are counted just after their write returns, which
	// may be after the client has read them: wait for the count.
	ms := waitFor(t, hs.URL, func(ms families) bool {
		return value(ms, "stompbox_stomp_deliveries_total") >= n
	})
	for _, c := range []struct {
		name, label, v string
		want           float64
	}{
		{"stompbox_stomp_frames_received_total", "command", "CONNECT", 2},
		{"stompbox_stomp_frames_received_total", "command", "SUBSCRIBE", 1},
		{"stompbox_stomp_frames_received_total", "command", "SEND", n},
		{"stompbox_stomp_frames_received_total", "command", "NACK", 0},
		{"stompbox_stomp_frames_sent_total", "command", "CONNECTED", 2},
		{"stompbox_stomp_frames_sent_total", "command", "RECEIPT", 1},
		{"stompbox_stomp_frames_sent_total", "command", "MESSAGE", n},
		{"stompbox_stomp_sessions", "", "", 2},
	} {
		if got := value(ms, c.name, c.label, c.v); got != c.want {
			t.Errorf("%s{%s=%q} = %v, want %v", c.name, c.label, c.v, got, c.want)
		}
	}
	if v := value(ms, "stompbox_stomp_sent_bytes_total"); v <= 0 {
		t.Errorf("sent bytes %v", v)
	}
	if got := histogramCount(ms, "stompbox_handler_duration_seconds", "command", "SEND", "path", "/echo/{room}", "outcome", "ok"); got != n {
		t.Errorf("handler samples %d, want %d", got, n)
	}
	if got := histogramCount(ms, "stompbox_history_duration_seconds", "op", "append", "outcome", "ok"); got != n {
		t.Errorf("store append samples %d, want %d", got, n)
	}

	// A subscriber that stops reading is cut as a slow consumer, and the
	// cut is counted.
	slow := stomptest.DialTCP(t, addr)
	slow.Raw().(*net.TCPConn).SetReadBuffer(4096)
	slow.Connect()
	slow.Subscribe("s", "/topic/flood")
	body := strings.Repeat("x", 4000)
	for i := 0; i < 5000 && srv.Stats().SlowConsumers == 0; i++ {
		pub.SendText("/topic/flood", body)
	}
	ms = waitFor(t, hs.URL, func(ms families) bool {
		return value(ms, "stompbox_stomp_slow_consumers_total") == 1
	})
	if v := value(ms, "stompbox_stomp_frames_received_total", "command", "SEND"); v <= n {
		t.Errorf("SENDs after the flood: %v", v)
	}

	// Nothing a client wrote is a label or a value: not the room in the
	// destination, not the text.
	text := get(t, hs.URL)
	if strings.Contains(text, "secret") {
		t.Errorf("the scrape shows client data:\n%s", grep(text, "secret"))
	}
}

type families = map[string]*dto.MetricFamily

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

func scrape(t *testing.T, url string) families {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	ms, err := p.TextToMetricFamilies(strings.NewReader(get(t, url)))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return ms
}

// waitFor scrapes until ok holds; it fails the test if ok still does not
// hold after ten seconds.
func waitFor(t *testing.T, url string, ok func(families) bool) families {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		ms := scrape(t, url)
		if ok(ms) {
			return ms
		}
		if time.Now().After(deadline) {
			t.Fatalf("the scrape did not show what was waited for:\n%s", grep(get(t, url), "stompbox_stomp"))
		}
	}
}

// find returns the metric of family name whose labels include kv.
func find(ms families, name string, kv ...string) *dto.Metric {
	f := ms[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.Metric {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == "" {
				continue
			}
			found := false
			for _, l := range m.Label {
				if l.GetName() == kv[i] && l.GetValue() == kv[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		return m
	}
	return nil
}

// value is a counter's or gauge's value, -1 when absent.
func value(ms families, name string, kv ...string) float64 {
	m := find(ms, name, kv...)
	switch {
	case m == nil:
		return -1
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return -1
}

func histogramCount(ms families, name string, kv ...string) uint64 {
	if m := find(ms, name, kv...); m != nil && m.Histogram != nil {
		return m.Histogram.GetSampleCount()
	}
	return 0
}

func grep(text, s string) string {
	var out []string
	for l := range strings.SplitSeq(text, "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
