package sse

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
)

// The process's poller (internal/netpoll) runs for its life, by design.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/stompbox/stompbox/internal/netpoll.(*Poller).run"))
}

const wait = 5 * time.Second

// env is a Server over a memory broker behind a real HTTP server.
type env struct {
	t  testing.TB
	b  *broker.Memory
	s  *Server
	ts *httptest.Server
	tr *http.Transport
}

func newEnv(t testing.TB, cfg Config) *env {
	t.Helper()
	return newEnvWrapped(t, cfg, nil)
}

// newEnvWrapped is newEnv with the Server's broker wrapping the memory one.
func newEnvWrapped(t testing.TB, cfg Config, wrap func(*broker.Memory) broker.Broker) *env {
	t.Helper()
	b := broker.NewMemory()
	cfg.Broker = b
	if wrap != nil {
		cfg.Broker = wrap(b)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := New(cfg)
	mux := http.NewServeMux()
	mux.Handle("/events", s)
	e := &env{t: t, b: b, s: s, ts: httptest.NewServer(mux), tr: &http.Transport{}}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		e.ts.Close()
		e.tr.CloseIdleConnections()
	})
	return e
}

// url returns the events URL for dests.
func (e *env) url(dests ...string) string {
	q := url.Values{"destination": dests}
	return e.ts.URL + "/events?" + q.Encode()
}

// get sends a GET with optional header pairs and returns the response.
func (e *env) get(ctx context.Context, u string, header ...string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := (&http.Client{Transport: e.tr}).Do(req)
	if err != nil {
		e.t.Fatalf("GET %s: %v", u, err)
	}
	return res
}

// publish publishes body to dest with a content type.
func (e *env) publish(dest, contentType, body string) {
	e.t.Helper()
	var h frame.Header
	if contentType != "" {
		h.Add(frame.HdrContentType, contentType)
	}
	if err := e.b.Publish(context.Background(), broker.NewMessage(dest, h, []byte(body))); err != nil {
		e.t.Fatalf("publish %s: %v", dest, err)
	}
}

// block is one block of an event stream, up to a blank line.
type block struct {
	ID       string
	HasID    bool
	Event    string
	Data     string
	HasData  bool
	Retry    string
	Comments []string
}

// envelope decodes a message event's data.
func (b block) envelope(t *testing.T) Envelope {
	t.Helper()
	var env Envelope
	if err := json.Unmarshal([]byte(b.Data), &env); err != nil {
		t.Fatalf("event %q data %q: %v", b.Event, b.Data, err)
	}
	return env
}

// client is a test client reading an event stream.
type client struct {
	t      testing.TB
	res    *http.Response
	cancel context.CancelFunc
	blocks chan block
	lastID string // as EventSource keeps it
}

// open opens a stream and waits for its opening id line, after which it
// receives every message published.
func (e *env) open(u string, header ...string) *client {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	res := e.get(ctx, u, header...)
	if res.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		cancel()
		e.t.Fatalf("GET %s: %s: %s", u, res.Status, body)
	}
	c := &client{t: e.t, res: res, cancel: cancel, blocks: make(chan block, 100000)}
	go c.read()
	e.t.Cleanup(c.close)
	return c
}

func (c *client) close() {
	c.cancel()
	c.res.Body.Close()
}

// read parses the stream into blocks until it ends.
func (c *client) read() {
	defer close(c.blocks)
	sc := bufio.NewScanner(c.res.Body)
	sc.Buffer(nil, 16<<20)
	var b block
	empty := true
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			if !empty {
				c.blocks <- b
			}
			b, empty = block{}, true
			continue
		}
		empty = false
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "":
			b.Comments = append(b.Comments, value)
		case "id":
			b.ID, b.HasID = value, true
		case "event":
			b.Event = value
		case "data":
			if b.HasData {
				b.Data += "\n"
			}
			b.Data += value
			b.HasData = true
		case "retry":
			b.Retry = value
		}
	}
}

// next returns the next block, failing the test if none comes.
func (c *client) next() block {
	c.t.Helper()
	select {
	case b, ok := <-c.blocks:
		if !ok {
			c.t.Fatal("the stream ended")
		}
		if b.HasID {
			c.lastID = b.ID
		}
		return b
	case <-time.After(wait):
		c.t.Fatal("timed out waiting for an event")
	}
	return block{}
}

// event returns the next block that is an event (has data), skipping
// comments and lone id lines.
func (c *client) event() block {
	c.t.Helper()
	for {
		if b := c.next(); b.HasData {
			return b
		}
	}
}

// opening reads the retry field and the opening id line, and returns the
// events between them (gaps and replayed messages).
func (c *client) opening() []block {
	c.t.Helper()
	if b := c.next(); b.Retry != "2000" {
		c.t.Fatalf("first block %+v, want retry: 2000", b)
	}
	var events []block
	for {
		b := c.next()
		if !b.HasData && b.HasID {
			return events
		}
		events = append(events, b)
	}
}

// ended waits for the stream to end.
func (c *client) ended() {
	c.t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case _, ok := <-c.blocks:
			if !ok {
				return
			}
		case <-timeout:
			c.t.Fatal("the stream did not end")
		}
	}
}

// quiet fails if a block with data arrives within d.
func (c *client) quiet(d time.Duration) {
	c.t.Helper()
	timeout := time.After(d)
	for {
		select {
		case b, ok := <-c.blocks:
			if ok && b.HasData {
				c.t.Fatalf("unexpected event %+v", b)
			}
			if !ok {
				return
			}
		case <-timeout:
			return
		}
	}
}

// eventually polls cond until it holds.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// listeners returns how many streams listen to dest.
func (s *Server) listeners(dest string) int {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	if t := s.hub.topics[dest]; t != nil {
		return len(t.listening())
	}
	return 0
}

// hasTopic reports whether the hub holds dest.
func (s *Server) hasTopic(dest string) bool {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.hub.topics[dest] != nil
}
