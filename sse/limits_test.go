package sse

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// refused GETs u and returns the status, Retry-After and body.
func (e *env) refused(u string) (int, string, string) {
	e.t.Helper()
	res := e.get(context.Background(), u)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res.StatusCode, res.Header.Get("Retry-After"), string(body)
}

// One-shot requests leave at most MaxIdleTopics destinations behind: past
// it the oldest idle one is dropped at once, not after BufferAge.
func TestMaxIdleTopics(t *testing.T) {
	e := newEnv(t, Config{MaxIdleTopics: 2, BufferAge: time.Hour})
	for _, d := range []string{"/topic/1", "/topic/2", "/topic/3"} {
		c := e.open(e.url(d))
		c.opening()
		c.close()
		eventually(t, "the listener to go", func() bool { return e.s.listeners(d) == 0 && e.s.Stats().IdleTopics > 0 })
	}
	eventually(t, "the oldest idle topic to go", func() bool { return !e.s.hasTopic("/topic/1") })
	if n := e.b.Subscriptions("/topic/1"); n != 0 {
		t.Errorf("/topic/1 has %d broker subscriptions, want 0", n)
	}
	for _, d := range []string{"/topic/2", "/topic/3"} {
		if !e.s.hasTopic(d) || e.b.Subscriptions(d) != 1 {
			t.Errorf("%s was dropped; want it kept idle", d)
		}
	}
	if st := e.s.Stats(); st.Topics != 2 || st.IdleTopics != 2 {
		t.Errorf("Stats %+v, want 2 topics, both idle", st)
	}

	// Taken up again, a topic is no longer idle and is not dropped.
	c := e.open(e.url("/topic/2"))
	c.opening()
	if st := e.s.Stats(); st.Topics != 2 || st.IdleTopics != 1 {
		t.Errorf("Stats %+v, want 2 topics, 1 idle", st)
	}
	for _, d := range []string{"/topic/4", "/topic/5"} {
		one := e.open(e.url(d))
		one.opening()
		one.close()
		eventually(t, "the listener to go", func() bool { return e.s.listeners(d) == 0 })
	}
	eventually(t, "/topic/3 to go", func() bool { return !e.s.hasTopic("/topic/3") })
	e.publish("/topic/2", "", "still here")
	if env := c.event().envelope(t); env.Body != "still here" {
		t.Errorf("got %+v", env)
	}
}

// Past MaxTopics an idle destination makes room; when none is idle the
// request is refused with 503 naming the limit, and streams already open
// are not affected.
func TestMaxTopics(t *testing.T) {
	e := newEnv(t, Config{MaxTopics: 3, BufferAge: time.Hour})
	old := e.open(e.url("/topic/old"))
	old.opening()
	old.close()
	eventually(t, "the listener to go", func() bool { return e.s.listeners("/topic/old") == 0 })

	a := e.open(e.url("/topic/a", "/topic/b"))
	a.opening()
	c := e.open(e.url("/topic/c")) // /topic/old makes room
	c.opening()
	if e.s.hasTopic("/topic/old") {
		t.Error("the idle topic was kept past MaxTopics")
	}

	code, retry, body := e.refused(e.url("/topic/d"))
	if want := "sse: too many topics (MaxTopics 3)"; code != http.StatusServiceUnavailable || !strings.Contains(body, want) || retry == "" {
		t.Errorf("past MaxTopics: %d %q Retry-After %q, want 503 naming %q with Retry-After", code, body, retry, want)
	}
	code, _, _ = e.refused(e.url("/topic/a", "/topic/d"))
	if code != http.StatusServiceUnavailable {
		t.Errorf("a request needing one more topic: %d, want 503", code)
	}
	if e.s.hasTopic("/topic/d") || e.s.Stats().Topics != 3 {
		t.Errorf("a refused request left topics behind: %+v", e.s.Stats())
	}

	// Destinations already held are still open to new streams.
	b := e.open(e.url("/topic/b"))
	b.opening()
	e.publish("/topic/b", "", "hi")
	for _, cl := range []*client{a, b} {
		if env := cl.event().envelope(t); env.Body != "hi" {
			t.Errorf("got %+v", env)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Past MaxStreams a newcomer gets 503 naming the limit, the log gets a
// warning at most about once a second however many are refused, and the
// streams already open keep receiving.
func TestMaxStreams(t *testing.T) {
	var logs syncBuffer
	e := newEnv(t, Config{MaxStreams: 2, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	a := e.open(e.url("/topic/a"))
	a.opening()
	b := e.open(e.url("/topic/a", "/topic/b"))
	b.opening()

	began := time.Now()
	const tries = 20
	for range tries {
		code, retry, body := e.refused(e.url("/topic/a"))
		if want := "sse: too many streams (MaxStreams 2)"; code != http.StatusServiceUnavailable || !strings.Contains(body, want) || retry == "" {
			t.Fatalf("past MaxStreams: %d %q Retry-After %q, want 503 naming %q with Retry-After", code, body, retry, want)
		}
	}
	warned := strings.Count(logs.String(), "too many streams")
	if max := 1 + int(time.Since(began)/time.Second); warned < 1 || warned > max {
		t.Errorf("%d warnings for %d refusals, want 1 to %d:\n%s", warned, tries, max, logs.String())
	}
	if st := e.s.Stats(); st.Streams != 2 {
		t.Errorf("Stats %+v, want 2 streams", st)
	}

	e.publish("/topic/a", "", "still here")
	for _, c := range []*client{a, b} {
		if env := c.event().envelope(t); env.Body != "still here" {
			t.Errorf("got %+v", env)
		}
	}
	// A stream that ends makes room.
	a.close()
	eventually(t, "the stream to end", func() bool { return e.s.Stats().Streams == 1 })
	c := e.open(e.url("/topic/b"))
	c.opening()
}
