package sse

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stompbox/stompbox/broker"
)

// seqOf returns the number in an event id, checking its epoch.
func seqOf(t *testing.T, s *Server, id string) uint64 {
	t.Helper()
	n, ok := parseID(id, s.hub.epoch)
	if !ok {
		t.Fatalf("id %q is not of epoch %s", id, s.hub.epoch)
	}
	return n
}

func TestMessagesArriveWithIDsAndEnvelope(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.open(e.url("/topic/a"))
	for k, want := range map[string]string{
		"Content-Type":      "text/event-stream",
		"Cache-Control":     "no-cache",
		"X-Accel-Buffering": "no",
	} {
		if got := c.res.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if opening := c.opening(); len(opening) != 0 {
		t.Fatalf("a fresh stream opened with %+v", opening)
	}
	start := seqOf(t, e.s, c.lastID)

	bodies := []struct{ contentType, body string }{
		{"application/json", `{"text":"안녕하세요 <b>&</b>"}`},
		{"text/plain", "two\nlines\r\nand a third\n"},
		{"", "no content type"},
		{"application/octet-stream", "\xff\xfe\x00binary"},
		{"text/plain", ""},
	}
	for _, m := range bodies {
		e.publish("/topic/a", m.contentType, m.body)
	}
	prev := start
	for i, m := range bodies {
		ev := c.event()
		if ev.Event != "message" {
			t.Errorf("event %d: type %q, want message", i, ev.Event)
		}
		if strings.Contains(ev.Data, "\n") {
			t.Errorf("event %d: data spans lines: %q", i, ev.Data)
		}
		n := seqOf(t, e.s, ev.ID)
		if n <= prev {
			t.Errorf("event %d: id %s not after %d", i, ev.ID, prev)
		}
		prev = n
		env := ev.envelope(t)
		want := Envelope{Destination: "/topic/a", ContentType: m.contentType, Body: m.body}
		if i == 3 {
			want.Encoding, want.Body = "base64", base64.StdEncoding.EncodeToString([]byte(m.body))
		}
		if env != want {
			t.Errorf("event %d: envelope %+v, want %+v", i, env, want)
		}
	}
	if got := e.b.Subscriptions("/topic/a"); got != 1 {
		t.Errorf("broker subscriptions = %d, want 1", got)
	}
}

func TestSeveralDestinations(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.open(e.url("/topic/a", "/topic/b", "/topic/a"))
	c.opening()
	other := e.open(e.url("/topic/b"))
	other.opening()
	for _, d := range []string{"/topic/a", "/topic/b"} {
		if got := e.b.Subscriptions(d); got != 1 {
			t.Errorf("broker subscriptions of %s = %d, want 1 (one per destination)", d, got)
		}
	}
	if got := e.s.listeners("/topic/a"); got != 1 {
		t.Errorf("listeners of /topic/a = %d, want 1 (duplicates folded)", got)
	}

	order := []string{"/topic/a", "/topic/b", "/topic/b", "/topic/c", "/topic/a"}
	for i, d := range order {
		e.publish(d, "text/plain", strconv.Itoa(i))
	}
	var prev uint64
	for i, d := range order {
		if d == "/topic/c" {
			continue
		}
		ev := c.event()
		env := ev.envelope(t)
		if env.Destination != d || env.Body != strconv.Itoa(i) {
			t.Errorf("got %+v, want message %d to %s", env, i, d)
		}
		n := seqOf(t, e.s, ev.ID)
		if n <= prev {
			t.Errorf("id %s not after %d", ev.ID, prev)
		}
		prev = n
	}
	for _, i := range []int{1, 2} {
		if env := other.event().envelope(t); env.Destination != "/topic/b" || env.Body != strconv.Itoa(i) {
			t.Errorf("other got %+v, want message %d to /topic/b", env, i)
		}
	}
}

func TestRefusals(t *testing.T) {
	denied := errors.New("no")
	e := newEnv(t, Config{
		MaxDestinations: 3,
		Authenticate: func(r *http.Request) (string, error) {
			switch r.Header.Get("Authorization") {
			case "":
				return "", nil
			case "Bearer good":
				return "alice", nil
			case "Bearer expired":
				return "", shownError("token expired")
			}
			return "", errors.New("secret reason")
		},
		Authorize: func(ctx context.Context, user, dest string) error {
			if ctx == nil {
				return errors.New("no context")
			}
			switch {
			case dest == "/topic/secret" && user != "alice":
				return denied
			case dest == "/topic/closed":
				return shownError("room closed")
			}
			return nil
		},
	})
	long := "/topic/" + strings.Repeat("x", 1100)
	tests := []struct {
		name   string
		method string
		query  string
		header []string
		code   int
		want   string
	}{
		{"no destination", "GET", "", nil, 400, "no destination"},
		{"empty destination", "GET", "?destination=", nil, 400, `invalid destination ""`},
		{"not a destination", "GET", "?destination=/chat", nil, 400, `invalid destination "/chat"`},
		{"bare prefix", "GET", "?destination=/topic/", nil, 400, `invalid destination "/topic/"`},
		{"control character", "GET", "?destination=/topic/a%0Ab", nil, 400, `invalid destination "/topic/a\nb"`},
		{"too long", "GET", "?destination=" + long, nil, 400, "invalid destination"},
		{"queue", "GET", "?destination=/queue/jobs", nil, 400, `cannot listen to "/queue/jobs"`},
		{"private destination", "GET", "?destination=/topic/reply@SESSIONID", nil, 400, `private to a STOMP session`},
		{"too many", "GET", "?destination=/topic/1&destination=/topic/2&destination=/topic/3&destination=/topic/4", nil, 400, "too many destinations: at most 3"},
		{"post", "POST", "?destination=/topic/a", nil, 405, "only GET"},
		{"bad credentials", "GET", "?destination=/topic/a", []string{"Authorization", "Bearer bad"}, 401, "authentication failed\n"},
		{"expired credentials", "GET", "?destination=/topic/a", []string{"Authorization", "Bearer expired"}, 401, "authentication failed: token expired"},
		{"anonymous to a secret", "GET", "?destination=/topic/a&destination=/topic/secret", nil, 403, `not allowed to listen to "/topic/secret"` + "\n"},
		{"closed room", "GET", "?destination=/topic/closed", []string{"Authorization", "Bearer good"}, 403, `not allowed to listen to "/topic/closed": room closed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, e.ts.URL+"/events"+tt.query, nil)
			for i := 0; i+1 < len(tt.header); i += 2 {
				req.Header.Set(tt.header[i], tt.header[i+1])
			}
			res, err := (&http.Client{Transport: e.tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.code || !strings.Contains(string(body), tt.want) {
				t.Errorf("%s %s: %d %q, want %d containing %q", tt.method, tt.query, res.StatusCode, body, tt.code, tt.want)
			}
			if strings.Contains(string(body), "secret reason") {
				t.Errorf("an error without ClientError was shown: %q", body)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("Content-Type %q, want text/plain", ct)
			}
		})
	}
	if e.hasTopicAny() {
		t.Error("a refused request subscribed to the broker")
	}
	// alice may listen to the secret.
	c := e.open(e.ts.URL+"/events?destination=/topic/secret", "Authorization", "Bearer good")
	c.opening()
	e.publish("/topic/secret", "", "psst")
	if env := c.event().envelope(t); env.Body != "psst" {
		t.Errorf("alice got %+v", env)
	}
}

type shownError string

func (e shownError) Error() string       { return "internal: " + string(e) }
func (e shownError) ClientError() string { return string(e) }

func (e *env) hasTopicAny() bool {
	e.s.hub.mu.Lock()
	defer e.s.hub.mu.Unlock()
	return len(e.s.hub.topics) > 0
}

func TestKeepAlive(t *testing.T) {
	e := newEnv(t, Config{KeepAlive: 30 * time.Millisecond})
	c := e.open(e.url("/topic/a"))
	c.opening()
	for range 2 {
		b := c.next()
		if len(b.Comments) != 1 || b.Comments[0] != "keep-alive" || b.HasData || b.HasID {
			t.Fatalf("got %+v, want a keep-alive comment", b)
		}
	}
	e.publish("/topic/a", "", "x")
	if env := c.event().envelope(t); env.Body != "x" {
		t.Errorf("got %+v after keep-alives", env)
	}
}

// A client that reads nothing is cut off once messages it was not sent
// fall out of the buffer; another client of the same destination keeps
// receiving everything.
func TestSlowConsumerCutOff(t *testing.T) {
	e := newEnv(t, Config{WriteTimeout: time.Minute, BufferSize: 4})
	fast := e.open(e.url("/topic/a"))
	fast.opening()

	slow, err := net.Dial("tcp", e.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "GET /events?destination=/topic/a HTTP/1.1\r\nHost: test\r\n\r\n")
	eventually(t, "the slow client to listen", func() bool { return e.s.listeners("/topic/a") == 2 })

	body := strings.Repeat("x", 16<<10)
	sent := 0
	for e.s.listeners("/topic/a") == 2 {
		if sent == 4000 { // 64 MB
			t.Fatal("the slow client was never cut off")
		}
		e.publish("/topic/a", "", body)
		sent++
		if env := fast.event().envelope(t); len(env.Body) != len(body) {
			t.Fatalf("fast client got a body of %d bytes", len(env.Body))
		}
	}
	t.Logf("cut off after %d messages of 16 KiB", sent)
	for i := range 3 {
		e.publish("/topic/a", "", strconv.Itoa(i))
		if env := fast.event().envelope(t); env.Body != strconv.Itoa(i) {
			t.Fatalf("fast client got %q, want %d", env.Body, i)
		}
	}
	eventually(t, "the slow stream to be counted", func() bool { return e.s.Stats().Streams == 1 })
	if st := e.s.Stats(); st.SlowConsumers != 1 {
		t.Errorf("Stats %+v, want 1 slow consumer", st)
	}
	// The slow connection is closed: reading it out ends.
	slow.SetReadDeadline(time.Now().Add(wait))
	if _, err := io.Copy(io.Discard, slow); err != nil {
		t.Errorf("reading the cut-off connection: %v, want EOF", err)
	}
}

func TestShutdownEndsStreams(t *testing.T) {
	e := newEnv(t, Config{})
	a := e.open(e.url("/topic/a"))
	b := e.open(e.url("/topic/a", "/topic/b"))
	a.opening()
	b.opening()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := e.s.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	a.ended()
	b.ended()
	for _, d := range []string{"/topic/a", "/topic/b"} {
		if n := e.b.Subscriptions(d); n != 0 {
			t.Errorf("%s has %d broker subscriptions after Shutdown", d, n)
		}
	}
	res := e.get(context.Background(), e.url("/topic/a"))
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("after Shutdown: %s %q, want 503", res.Status, body)
	}
	if err := e.s.Shutdown(ctx); err != nil {
		t.Errorf("second Shutdown: %v", err)
	}
}

// When a client goes, its listener goes; the destination's subscription
// stays for BufferAge, then goes too.
func TestClientGoesAway(t *testing.T) {
	e := newEnv(t, Config{BufferAge: 100 * time.Millisecond})
	c := e.open(e.url("/topic/a"))
	c.opening()
	c.close()
	eventually(t, "the listener to go", func() bool { return e.s.listeners("/topic/a") == 0 })
	if !e.s.hasTopic("/topic/a") || e.b.Subscriptions("/topic/a") != 1 {
		t.Error("the subscription went at once; want it kept for BufferAge")
	}
	eventually(t, "the subscription to go", func() bool {
		return !e.s.hasTopic("/topic/a") && e.b.Subscriptions("/topic/a") == 0
	})

	// A reconnect within BufferAge keeps it.
	c = e.open(e.url("/topic/a"))
	c.opening()
	c.close()
	eventually(t, "the listener to go", func() bool { return e.s.listeners("/topic/a") == 0 })
	c = e.open(e.url("/topic/a"))
	c.opening()
	time.Sleep(200 * time.Millisecond)
	if e.b.Subscriptions("/topic/a") != 1 {
		t.Error("the subscription went while a stream listened")
	}
}

// The data of an event never spans lines, whatever the body holds.
func TestEncodeMessageOnOneLine(t *testing.T) {
	b := appendEvent(nil, "message", Envelope{Destination: "/topic/a", Body: "a\rb\nc\u2028d"})
	if n := bytes.Count(b, []byte("\n")); n != 3 || bytes.Contains(b, []byte("\r")) {
		t.Errorf("event %q: want three line ends (event, data, blank) and no CR", b)
	}
}

// gatedBroker's Subscribe waits for gate, if set, then fails with fail, if
// set.
type gatedBroker struct {
	*broker.Memory
	gate chan struct{}
	fail error
}

func (g *gatedBroker) Subscribe(ctx context.Context, s *broker.Subscription) error {
	if g.gate != nil {
		<-g.gate
	}
	if g.fail != nil {
		return g.fail
	}
	return g.Memory.Subscribe(ctx, s)
}

func TestSubscribeFails(t *testing.T) {
	g := &gatedBroker{gate: make(chan struct{}), fail: errors.New("broker down")}
	e := newEnvWrapped(t, Config{}, func(m *broker.Memory) broker.Broker { g.Memory = m; return g })
	codes := make(chan int, 2)
	for range 2 { // the second waits for the first one's Subscribe
		go func() {
			res := e.get(context.Background(), e.url("/topic/a", "/topic/b"))
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			codes <- res.StatusCode
		}()
	}
	eventually(t, "both requests to wait", func() bool {
		e.s.hub.mu.Lock()
		defer e.s.hub.mu.Unlock()
		tp := e.s.hub.topics["/topic/a"]
		return tp != nil && tp.refs == 2
	})
	close(g.gate)
	for range 2 {
		if code := <-codes; code != http.StatusServiceUnavailable {
			t.Errorf("status %d, want 503", code)
		}
	}
	if e.hasTopicAny() {
		t.Error("a failed subscription is still held")
	}
	g.fail = nil
	c := e.open(e.url("/topic/a"))
	c.opening()
	e.publish("/topic/a", "", "ok")
	if env := c.event().envelope(t); env.Body != "ok" {
		t.Errorf("got %+v", env)
	}
}

func TestShutdownWhileSubscribing(t *testing.T) {
	g := &gatedBroker{gate: make(chan struct{})}
	e := newEnvWrapped(t, Config{}, func(m *broker.Memory) broker.Broker { g.Memory = m; return g })
	code := make(chan int, 1)
	go func() {
		res := e.get(context.Background(), e.url("/topic/a"))
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		code <- res.StatusCode
	}()
	eventually(t, "the request to subscribe", func() bool { return e.s.hasTopic("/topic/a") })
	shut := make(chan error, 1)
	go func() { shut <- e.s.Shutdown(context.Background()) }()
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v while a Subscribe was under way", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(g.gate)
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if c := <-code; c != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", c)
	}
	if n := e.b.Subscriptions("/topic/a"); n != 0 {
		t.Errorf("%d broker subscriptions left after Shutdown", n)
	}
}

func TestShutdownTimesOut(t *testing.T) {
	g := &gatedBroker{gate: make(chan struct{})}
	e := newEnvWrapped(t, Config{}, func(m *broker.Memory) broker.Broker { g.Memory = m; return g })
	done := make(chan struct{})
	go func() {
		defer close(done)
		res := e.get(context.Background(), e.url("/topic/a"))
		res.Body.Close()
	}()
	eventually(t, "the request to subscribe", func() bool { return e.s.hasTopic("/topic/a") })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := e.s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want the context's error", err)
	}
	close(g.gate)
	<-done
}
