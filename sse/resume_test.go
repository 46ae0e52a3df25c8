package sse

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// bodies returns the bodies of the message events in events, and fails on
// any other event.
func bodies(t *testing.T, events []block) []string {
	t.Helper()
	var out []string
	for _, ev := range events {
		if ev.Event != "message" {
			t.Fatalf("unexpected %q event %s", ev.Event, ev.Data)
		}
		out = append(out, ev.envelope(t).Body)
	}
	return out
}

func TestResumeSendsWhatWasMissed(t *testing.T) {
	e := newEnv(t, Config{})
	c := e.open(e.url("/topic/a", "/topic/b"))
	c.opening()
	for i := 1; i <= 3; i++ {
		e.publish("/topic/a", "", strconv.Itoa(i))
	}
	first := c.event().ID
	c.event()
	c.event()
	c.close()
	e.publish("/topic/b", "", "4")
	e.publish("/topic/c", "", "not listened to")
	e.publish("/topic/a", "", "5")

	c = e.open(e.url("/topic/a", "/topic/b"), "Last-Event-ID", first)
	replay := c.opening()
	if got, want := bodies(t, replay), []string{"2", "3", "4", "5"}; !slices.Equal(got, want) {
		t.Fatalf("resumed with %q, want %q", got, want)
	}
	var prev uint64
	for _, ev := range replay {
		n := seqOf(t, e.s, ev.ID)
		if n <= prev {
			t.Errorf("replayed id %s not after %d", ev.ID, prev)
		}
		prev = n
	}
	if n := seqOf(t, e.s, c.lastID); n < prev {
		t.Errorf("opening id %s before the last replayed %d", c.lastID, prev)
	}
	e.publish("/topic/a", "", "6")
	if ev := c.event(); ev.envelope(t).Body != "6" || seqOf(t, e.s, ev.ID) <= prev {
		t.Errorf("after the replay got %+v, want 6", ev)
	}
	c.quiet(50 * time.Millisecond)

	// Resuming from the opening id of a stream that got nothing.
	c.close()
	c = e.open(e.url("/topic/a"))
	c.opening()
	opening := c.lastID
	c.close()
	e.publish("/topic/a", "", "7")
	c = e.open(e.url("/topic/a"), "Last-Event-ID", opening)
	if got := bodies(t, c.opening()); !slices.Equal(got, []string{"7"}) {
		t.Errorf("resumed from an opening id with %q, want [7]", got)
	}
}

// A client that keeps reconnecting while messages are published, to
// several destinations from several goroutines, sees each exactly once.
func TestResumeUnderLoad(t *testing.T) {
	e := newEnv(t, Config{BufferSize: 100000, BufferBytes: 1 << 30})
	dests := []string{"/topic/a", "/topic/b", "/topic/c"}
	const perDest = 1500

	c := e.open(e.url(dests...))
	c.opening()
	var wg sync.WaitGroup
	for _, d := range dests {
		wg.Go(func() {
			for i := range perDest {
				e.publish(d, "", strconv.Itoa(i))
				if i%20 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	next := map[string]int{}
	total, reconnects, sinceReconnect := 0, 0, 0
	var prev uint64
	for total < len(dests)*perDest {
		if sinceReconnect == 150 {
			sinceReconnect = 0
			c.close()
			c = e.open(e.url(dests...), "Last-Event-ID", c.lastID)
			if b := c.next(); b.Retry == "" {
				t.Fatalf("opening %+v", b)
			}
			reconnects++
			continue
		}
		b := c.next()
		if !b.HasData {
			continue
		}
		if b.Event != "message" {
			t.Fatalf("got a %q event: %s", b.Event, b.Data)
		}
		n := seqOf(t, e.s, b.ID)
		if n <= prev {
			t.Fatalf("id %d after %d", n, prev)
		}
		prev = n
		env := b.envelope(t)
		if env.Body != strconv.Itoa(next[env.Destination]) {
			t.Fatalf("%s: got %s, want %d", env.Destination, env.Body, next[env.Destination])
		}
		next[env.Destination]++
		total++
		sinceReconnect++
	}
	wg.Wait()
	c.quiet(50 * time.Millisecond)
	t.Logf("%d messages over %d reconnects", total, reconnects)
}

func TestGapEvents(t *testing.T) {
	// open listens to dests, receives n messages published to the first,
	// and returns the id of the last.
	setup := func(t *testing.T, e *env, n int, dests ...string) string {
		c := e.open(e.url(dests...))
		c.opening()
		for i := 1; i <= n; i++ {
			e.publish(dests[0], "", strconv.Itoa(i))
		}
		for range n {
			c.event()
		}
		c.close()
		eventually(t, "the listener to go", func() bool { return e.s.listeners(dests[0]) == 0 })
		return c.lastID
	}
	// split returns the gap events' destinations and the message bodies.
	split := func(t *testing.T, events []block, lastID string) (gaps, msgs []string) {
		t.Helper()
		for _, ev := range events {
			switch ev.Event {
			case "gap":
				if len(msgs) > 0 {
					t.Errorf("gap event after messages: %+v", events)
				}
				var g Gap
				if err := json.Unmarshal([]byte(ev.Data), &g); err != nil {
					t.Fatalf("gap data %q: %v", ev.Data, err)
				}
				gaps = append(gaps, g.Destination)
				if want := `"lastEventId":` + strconv.Quote(lastID); !strings.Contains(ev.Data, want) {
					t.Errorf("gap data %s, want %s", ev.Data, want)
				}
			case "message":
				msgs = append(msgs, ev.envelope(t).Body)
			default:
				t.Errorf("unexpected event %+v", ev)
			}
		}
		return gaps, msgs
	}

	t.Run("evicted", func(t *testing.T) {
		e := newEnv(t, Config{BufferSize: 3})
		last := setup(t, e, 1, "/topic/a")
		for i := 2; i <= 5; i++ { // 2 falls out of the buffer
			e.publish("/topic/a", "", strconv.Itoa(i))
		}
		c := e.open(e.url("/topic/a"), "Last-Event-ID", last)
		gaps, msgs := split(t, c.opening(), last)
		if !slices.Equal(gaps, []string{"/topic/a"}) || !slices.Equal(msgs, []string{"3", "4", "5"}) {
			t.Errorf("gaps %q, messages %q; want a gap for /topic/a, then 3 4 5", gaps, msgs)
		}
	})
	t.Run("held exactly", func(t *testing.T) {
		e := newEnv(t, Config{BufferSize: 3})
		last := setup(t, e, 3, "/topic/a")
		for i := 4; i <= 6; i++ { // 1-3 fall out, all after last held
			e.publish("/topic/a", "", strconv.Itoa(i))
		}
		c := e.open(e.url("/topic/a"), "Last-Event-ID", last)
		gaps, msgs := split(t, c.opening(), last)
		if len(gaps) != 0 || !slices.Equal(msgs, []string{"4", "5", "6"}) {
			t.Errorf("gaps %q, messages %q; want 4 5 6 without a gap", gaps, msgs)
		}
	})
	t.Run("evicted by bytes", func(t *testing.T) {
		e := newEnv(t, Config{BufferBytes: 300})
		last := setup(t, e, 1, "/topic/a")
		big := string(make([]byte, 200))
		e.publish("/topic/a", "", big)
		e.publish("/topic/a", "", "3")
		c := e.open(e.url("/topic/a"), "Last-Event-ID", last)
		gaps, msgs := split(t, c.opening(), last)
		if !slices.Equal(gaps, []string{"/topic/a"}) || !slices.Equal(msgs, []string{"3"}) {
			t.Errorf("gaps %q, messages %q; want a gap, then 3", gaps, msgs)
		}
	})
	for name, id := range map[string]string{
		"other epoch":  "AAAAAAAA-1",
		"malformed":    "garbage",
		"no number":    "EPOCH-",
		"negative":     "EPOCH--1",
		"future":       "EPOCH-999999",
		"at the bound": "EPOCH-" + strings.Repeat("1", DefaultMaxLastEventID-len("K7QW2MZD-")), // EPOCH becomes 8 bytes,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, Config{})
			setup(t, e, 2, "/topic/a", "/topic/b")
			if id == "AAAAAAAA-1" && e.s.hub.epoch == "AAAAAAAA" {
				t.Skip("the epoch happens to be AAAAAAAA")
			}
			id := replaceEpoch(id, e.s.hub.epoch)
			if len(id) > DefaultMaxLastEventID {
				t.Fatalf("test id of %d bytes", len(id))
			}
			c := e.open(e.url("/topic/a", "/topic/b"), "Last-Event-ID", id)
			gaps, msgs := split(t, c.opening(), id)
			if !slices.Equal(gaps, []string{"/topic/a", "/topic/b"}) || !slices.Equal(msgs, []string{"1", "2"}) {
				t.Errorf("gaps %q, messages %q; want gaps for both, then all held: 1 2", gaps, msgs)
			}
			e.publish("/topic/b", "", "live")
			if env := c.event().envelope(t); env.Body != "live" {
				t.Errorf("then got %+v", env)
			}
		})
	}
	t.Run("not listened to", func(t *testing.T) {
		e := newEnv(t, Config{})
		last := setup(t, e, 1, "/topic/a")
		e.publish("/topic/a", "", "2")
		e.publish("/topic/b", "", "lost") // nobody listened
		c := e.open(e.url("/topic/a", "/topic/b"), "Last-Event-ID", last)
		gaps, msgs := split(t, c.opening(), last)
		if !slices.Equal(gaps, []string{"/topic/b"}) || !slices.Equal(msgs, []string{"2"}) {
			t.Errorf("gaps %q, messages %q; want a gap for /topic/b, then 2", gaps, msgs)
		}
	})
	t.Run("unsubscribed meanwhile", func(t *testing.T) {
		// Long enough for the reconnect below to come within it, even on a
		// loaded machine; short enough to wait out first.
		e := newEnv(t, Config{BufferAge: 300 * time.Millisecond})
		last := setup(t, e, 1, "/topic/a")
		eventually(t, "the subscription to go", func() bool { return !e.s.hasTopic("/topic/a") })
		e.publish("/topic/a", "", "lost")
		c := e.open(e.url("/topic/a"), "Last-Event-ID", last)
		gaps, msgs := split(t, c.opening(), last)
		if !slices.Equal(gaps, []string{"/topic/a"}) || len(msgs) != 0 {
			t.Errorf("gaps %q, messages %q; want a gap for /topic/a", gaps, msgs)
		}
		// The opening id resumes without a gap.
		opening := c.lastID
		c.close()
		e.publish("/topic/a", "", "kept")
		c = e.open(e.url("/topic/a"), "Last-Event-ID", opening)
		gaps, msgs = split(t, c.opening(), opening)
		if len(gaps) != 0 || !slices.Equal(msgs, []string{"kept"}) {
			t.Errorf("gaps %q, messages %q; want kept", gaps, msgs)
		}
	})
}

func replaceEpoch(id, epoch string) string {
	if len(id) >= 5 && id[:5] == "EPOCH" {
		return epoch + id[5:]
	}
	return id
}

// A huge Last-Event-ID is malformed and is not quoted back: what a stream
// writes before its first live event stays small, however many
// destinations it has.
func TestOversizedLastEventID(t *testing.T) {
	e := newEnv(t, Config{})
	dests := make([]string, DefaultMaxDestinations)
	for i := range dests {
		dests[i] = "/topic/" + strconv.Itoa(i)
	}
	huge := strings.Repeat(`"\`, 512<<10) // 1 MiB, and twice that JSON-escaped
	res := e.get(context.Background(), e.url(dests...), "Last-Event-ID", huge)
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %s", res.Status)
	}
	eventually(t, "the stream to listen", func() bool { return e.s.listeners(dests[15]) == 1 })
	e.publish(dests[15], "", "live")

	r := bufio.NewReader(res.Body)
	var opening []byte
	gaps := 0
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(opening), err)
		}
		if string(line) == "event: message\n" {
			break
		}
		opening = append(opening, line...)
		if data, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
			var g Gap
			if err := json.Unmarshal(data, &g); err != nil {
				t.Fatalf("gap %q: %v", data, err)
			}
			if g.LastEventID != "" {
				t.Errorf("gap quotes %d bytes of the id, want none", len(g.LastEventID))
			}
			gaps++
		}
	}
	if gaps != len(dests) {
		t.Errorf("%d gap events, want %d", gaps, len(dests))
	}
	if max := 8 << 10; len(opening) > max {
		t.Errorf("%d bytes before the first live event, want at most %d", len(opening), max)
	}
	t.Logf("%d bytes before the first live event", len(opening))
}
