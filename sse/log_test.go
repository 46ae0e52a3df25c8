package sse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
)

// memLog is a Log of the destinations under /topic/log., as package chat
// keeps its rooms: a message is logged, then published; its body is
// "<position>:<text>".
type memLog struct {
	b     *broker.Memory
	mu    sync.Mutex
	lines map[string][]string
	fail  atomic.Bool // reads fail
	// hold, when set, makes After say so on entered and wait for it.
	hold, entered chan struct{}
}

var _ Log = (*memLog)(nil)

func newMemLog(b *broker.Memory) *memLog { return &memLog{b: b, lines: map[string][]string{}} }

func logged(dest string) bool { return strings.HasPrefix(dest, "/topic/log.") }

func (l *memLog) Position(m *broker.Message) (uint64, bool) {
	if !logged(m.Destination) {
		return 0, false
	}
	n, _, _ := strings.Cut(string(m.Body), ":")
	pos, err := strconv.ParseUint(n, 10, 64)
	return pos, err == nil
}

func (l *memLog) Head(ctx context.Context, dest string) (uint64, bool, error) {
	if !logged(dest) {
		return 0, false, nil
	}
	if l.fail.Load() {
		return 0, false, errors.New("memLog: down")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return uint64(len(l.lines[dest])), true, nil
}

func (l *memLog) After(ctx context.Context, dest string, pos uint64, max int) ([]*broker.Message, error) {
	if l.fail.Load() {
		return nil, errors.New("memLog: down")
	}
	if l.hold != nil {
		l.entered <- struct{}{}
		<-l.hold
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*broker.Message
	for _, body := range l.lines[dest][min(pos, uint64(len(l.lines[dest]))):] {
		if len(out) == max {
			break
		}
		out = append(out, l.message(dest, body))
	}
	return out, nil
}

func (l *memLog) message(dest, body string) *broker.Message {
	var h frame.Header
	h.Add(frame.HdrContentType, "text/plain")
	return broker.NewMessage(dest, h, []byte(body))
}

// add logs text to dest without publishing it, and returns its message.
func (l *memLog) add(dest, text string) *broker.Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	body := fmt.Sprintf("%d:%s", len(l.lines[dest])+1, text)
	l.lines[dest] = append(l.lines[dest], body)
	return l.message(dest, body)
}

// post logs text to dest, then publishes it.
func (l *memLog) post(t testing.TB, dest, text string) {
	t.Helper()
	if err := l.b.Publish(context.Background(), l.add(dest, text)); err != nil {
		t.Fatal(err)
	}
}

// nodes returns n Servers on one broker and one Log: nodes of a cluster.
func nodes(t *testing.T, n int, cfg Config) ([]*env, *memLog) {
	b := broker.NewMemory()
	lg := newMemLog(b)
	cfg.Log = lg
	var es []*env
	for range n {
		e := newEnvWrapped(t, cfg, func(*broker.Memory) broker.Broker { return b })
		e.b = b
		es = append(es, e)
	}
	return es, lg
}

// texts returns the texts of the message events, and the destinations of
// the gap events, in order.
func texts(t *testing.T, events []block) (msgs, gaps []string) {
	t.Helper()
	for _, ev := range events {
		switch ev.Event {
		case "message":
			_, text, _ := strings.Cut(ev.envelope(t).Body, ":")
			msgs = append(msgs, text)
		case "gap":
			var g Gap
			if err := json.Unmarshal([]byte(ev.Data), &g); err != nil {
				t.Fatal(err)
			}
			gaps = append(gaps, g.Destination)
		default:
			t.Fatalf("unexpected event %+v", ev)
		}
	}
	return msgs, gaps
}

func TestLogResumeOnAnotherServer(t *testing.T) {
	es, lg := nodes(t, 2, Config{})
	a, b := es[0], es[1]
	const room = "/topic/log.lobby"
	lg.post(t, room, "before") // before any stream: never sent

	cb := b.open(b.url(room))
	cb.opening()
	lg.post(t, room, "one")
	lg.post(t, room, "two")
	if got, _ := texts(t, []block{cb.event(), cb.event()}); !slices.Equal(got, []string{"one", "two"}) {
		t.Fatalf("on B: %q", got)
	}
	if !strings.HasSuffix(cb.lastID, ":3") {
		t.Errorf("last id %q does not carry the position 3", cb.lastID)
	}
	cb.close()
	lg.post(t, room, "three")
	lg.post(t, room, "four")

	ca := a.open(a.url(room), "Last-Event-ID", cb.lastID)
	msgs, gaps := texts(t, ca.opening())
	if len(gaps) != 0 || !slices.Equal(msgs, []string{"three", "four"}) {
		t.Fatalf("resumed on A with %q, gaps %q; want three four", msgs, gaps)
	}
	lg.post(t, room, "five")
	if got, _ := texts(t, []block{ca.event()}); !slices.Equal(got, []string{"five"}) {
		t.Errorf("then %q, want five", got)
	}
	ca.quiet(50 * time.Millisecond)

	// And back to B, which has its buffer, but of before the first
	// reconnect: from the Log again.
	ca.close()
	lg.post(t, room, "six")
	cb = b.open(b.url(room), "Last-Event-ID", ca.lastID)
	if msgs, gaps := texts(t, cb.opening()); len(gaps) != 0 || !slices.Equal(msgs, []string{"six"}) {
		t.Errorf("back on B: %q, gaps %q; want six", msgs, gaps)
	}
}

// A fresh stream's opening id marks where the Log was, so a client that
// got nothing before its node went away resumes elsewhere all the same.
func TestLogOpeningIDResumes(t *testing.T) {
	es, lg := nodes(t, 2, Config{})
	const room = "/topic/log.quiet"
	for i := range 7 {
		lg.add(room, strconv.Itoa(i)) // logged, published while nobody listened
	}
	c := es[0].open(es[0].url(room))
	c.opening()
	if !strings.HasSuffix(c.lastID, ":7") {
		t.Fatalf("opening id %q, want the head position 7", c.lastID)
	}
	c.close()
	lg.post(t, room, "missed")
	c = es[1].open(es[1].url(room), "Last-Event-ID", c.lastID)
	if msgs, gaps := texts(t, c.opening()); len(gaps) != 0 || !slices.Equal(msgs, []string{"missed"}) {
		t.Errorf("resumed with %q, gaps %q; want missed", msgs, gaps)
	}
}

// A message logged before the resume but published after it (in flight
// to this node) is replayed from the Log, and then not sent again live.
func TestLogReplayThenLiveWithoutDuplicates(t *testing.T) {
	es, lg := nodes(t, 2, Config{})
	const room = "/topic/log.race"
	c := es[0].open(es[0].url(room))
	c.opening()
	lg.post(t, room, "seen")
	c.event()
	c.close()
	inFlight := []*broker.Message{lg.add(room, "a"), lg.add(room, "b")}

	c = es[1].open(es[1].url(room), "Last-Event-ID", c.lastID)
	if msgs, _ := texts(t, c.opening()); !slices.Equal(msgs, []string{"a", "b"}) {
		t.Fatalf("replayed %q, want a b", msgs)
	}
	for _, m := range inFlight {
		if err := lg.b.Publish(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	lg.post(t, room, "c")
	if got, _ := texts(t, []block{c.event()}); !slices.Equal(got, []string{"c"}) {
		t.Errorf("live after the replay: %q, want c alone", got)
	}
	c.quiet(50 * time.Millisecond)
}

// A client that keeps reconnecting, to one Server then the other, while
// a publisher logs and publishes, sees every message once, in order.
func TestLogResumeUnderLoad(t *testing.T) {
	es, lg := nodes(t, 2, Config{})
	const room, total = "/topic/log.busy", 2000
	c := es[0].open(es[0].url(room))
	c.opening()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 1; i <= total; i++ {
			lg.post(t, room, strconv.Itoa(i))
			if i%20 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	want, node, reconnects := 1, 0, 0
	for want <= total {
		if want%97 == 0 && reconnects < want/97 {
			reconnects++
			node = 1 - node
			c.close()
			c = es[node].open(es[node].url(room), "Last-Event-ID", c.lastID)
			continue
		}
		b := c.next()
		if !b.HasData {
			continue
		}
		msgs, gaps := texts(t, []block{b})
		if len(gaps) > 0 {
			t.Fatalf("gap at %d", want)
		}
		if msgs[0] != strconv.Itoa(want) {
			t.Fatalf("got %s, want %d", msgs[0], want)
		}
		want++
	}
	<-done
	c.quiet(50 * time.Millisecond)
	t.Logf("%d messages over %d reconnects", total, reconnects)
}

func TestLogReplayBounds(t *testing.T) {
	// missed publishes n messages while the client is away, and returns
	// what the resumed stream opens with.
	missed := func(t *testing.T, cfg Config, n int, breakLog bool) ([]string, []string) {
		es, lg := nodes(t, 2, cfg)
		const room = "/topic/log.r"
		c := es[0].open(es[0].url(room))
		c.opening()
		lg.post(t, room, "seen")
		c.event()
		c.close()
		for i := 1; i <= n; i++ {
			lg.post(t, room, strconv.Itoa(i))
		}
		lg.fail.Store(breakLog)
		c = es[1].open(es[1].url(room), "Last-Event-ID", c.lastID)
		msgs, gaps := texts(t, c.opening())
		lg.fail.Store(false)
		lg.post(t, room, "live")
		if got, _ := texts(t, []block{c.event()}); !slices.Equal(got, []string{"live"}) {
			t.Errorf("then %q, want live", got)
		}
		return msgs, gaps
	}
	t.Run("at MaxReplay", func(t *testing.T) {
		msgs, gaps := missed(t, Config{MaxReplay: 3}, 3, false)
		if len(gaps) != 0 || !slices.Equal(msgs, []string{"1", "2", "3"}) {
			t.Errorf("%q, gaps %q; want 1 2 3", msgs, gaps)
		}
	})
	t.Run("past MaxReplay", func(t *testing.T) {
		msgs, gaps := missed(t, Config{MaxReplay: 3}, 4, false)
		if !slices.Equal(gaps, []string{"/topic/log.r"}) || len(msgs) != 0 {
			t.Errorf("%q, gaps %q; want a gap alone", msgs, gaps)
		}
	})
	t.Run("over several pages", func(t *testing.T) {
		msgs, gaps := missed(t, Config{BufferSize: 4}, 2*replayPage+1, false)
		if len(gaps) != 0 || len(msgs) != 2*replayPage+1 || msgs[0] != "1" || msgs[len(msgs)-1] != strconv.Itoa(2*replayPage+1) {
			t.Errorf("%d messages, gaps %q", len(msgs), gaps)
		}
	})
	t.Run("the Log fails", func(t *testing.T) {
		msgs, gaps := missed(t, Config{}, 2, true)
		if !slices.Equal(gaps, []string{"/topic/log.r"}) || len(msgs) != 0 {
			t.Errorf("%q, gaps %q; want a gap alone", msgs, gaps)
		}
	})
}

// Destinations without a Log resume from the Server's buffer only: on
// another Server, their gap tells the client to reload, and the logged
// one beside them is replayed.
func TestLogOtherDestinationsGap(t *testing.T) {
	es, lg := nodes(t, 2, Config{})
	const room, news = "/topic/log.x", "/topic/news"
	c := es[0].open(es[0].url(room, news))
	c.opening()
	lg.post(t, room, "seen")
	c.event()
	c.close()
	lg.post(t, room, "missed")
	es[0].publish(news, "", "9:unlogged")

	same := es[0].open(es[0].url(room, news), "Last-Event-ID", c.lastID)
	if msgs, gaps := texts(t, same.opening()); len(gaps) != 0 || !slices.Equal(msgs, []string{"missed", "unlogged"}) {
		t.Errorf("on the same Server: %q, gaps %q; want both from its buffer", msgs, gaps)
	}
	other := es[1].open(es[1].url(room, news), "Last-Event-ID", c.lastID)
	if msgs, gaps := texts(t, other.opening()); !slices.Equal(gaps, []string{news}) || !slices.Equal(msgs, []string{"missed"}) {
		t.Errorf("on another Server: %q, gaps %q; want a gap for %s, and missed from the Log", msgs, gaps, news)
	}
	if !strings.HasSuffix(other.lastID, ":2,") {
		t.Errorf("opening id %q, want the marks 2 and none", other.lastID)
	}
}

func TestLogMarksThatCannotBeUsed(t *testing.T) {
	const room = "/topic/log.m"
	for name, id := range map[string]string{
		"beyond the head":    "AAAAAAAA-1:99",
		"not a number":       "AAAAAAAA-1:x",
		"too many marks":     "AAAAAAAA-1:1,1",
		"without a position": "AAAAAAAA-1:",
	} {
		t.Run(name, func(t *testing.T) {
			es, lg := nodes(t, 1, Config{})
			lg.post(t, room, "1")
			c := es[0].open(es[0].url(room), "Last-Event-ID", id)
			if msgs, gaps := texts(t, c.opening()); !slices.Equal(gaps, []string{room}) || len(msgs) != 0 {
				t.Errorf("%q, gaps %q; want a gap alone", msgs, gaps)
			}
		})
	}
}

// An id that would be longer than MaxLastEventID goes out without its
// marks: resumable on the same Server, not elsewhere.
func TestLogMarksWithinMaxLastEventID(t *testing.T) {
	es, lg := nodes(t, 1, Config{MaxLastEventID: len("AAAAAAAA-99")}) // numbers stay below 100 here
	c := es[0].open(es[0].url("/topic/log.a", "/topic/log.b"))
	c.opening()
	lg.post(t, "/topic/log.a", "1")
	if ev := c.event(); strings.Contains(ev.ID, ":") || len(ev.ID) > es[0].s.cfg.MaxLastEventID {
		t.Errorf("id %q, want one without marks", ev.ID)
	}
}

// At most MaxReplays streams are replayed from the Log at once: one more
// resuming meanwhile is sent a gap at once (and reloads), and the one
// under way is not disturbed.
func TestLogMaxReplays(t *testing.T) {
	es, lg := nodes(t, 2, Config{MaxReplays: 1})
	const room = "/topic/log.busy"
	c := es[0].open(es[0].url(room))
	c.opening()
	lg.post(t, room, "seen")
	c.event()
	c.close()
	lg.post(t, room, "missed")
	lg.hold, lg.entered = make(chan struct{}), make(chan struct{}, 1)

	done := make(chan []block)
	go func() { // its response begins once its replay is sent
		first := es[1].open(es[1].url(room), "Last-Event-ID", c.lastID)
		done <- first.opening()
	}()
	<-lg.entered // the first replay holds the only slot
	second := es[1].open(es[1].url(room), "Last-Event-ID", c.lastID)
	if msgs, gaps := texts(t, second.opening()); !slices.Equal(gaps, []string{room}) || len(msgs) != 0 {
		t.Errorf("a replay past MaxReplays: %q, gaps %q; want a gap alone", msgs, gaps)
	}
	close(lg.hold)
	if msgs, gaps := texts(t, <-done); len(gaps) != 0 || !slices.Equal(msgs, []string{"missed"}) {
		t.Errorf("the replay under way: %q, gaps %q; want missed", msgs, gaps)
	}
	if n := es[1].s.Stats().ReplaysRefused; n != 1 {
		t.Errorf("ReplaysRefused %d, want 1", n)
	}
}

// Lines can reach a node out of order (two nodes publish 5 and 6;
// RabbitMQ has 6 first). A stream sent 6 and not yet 5 must not claim 5:
// resumed elsewhere, it is sent 5 (and 6 again, which the client tells
// apart by its id).
func TestLogMarkDoesNotPassALineNotSent(t *testing.T) {
	es, lg := nodes(t, 2, Config{})
	const room = "/topic/log.order"
	c := es[0].open(es[0].url(room))
	c.opening()
	lg.post(t, room, "one")
	c.event()
	lg.add(room, "two") // stored, its broadcast still on its way
	three := lg.add(room, "three")
	if err := es[0].b.Publish(context.Background(), three); err != nil {
		t.Fatal(err)
	}
	if got, _ := texts(t, []block{c.event()}); !slices.Equal(got, []string{"three"}) {
		t.Fatalf("got %q", got)
	}
	c.close()
	other := es[1].open(es[1].url(room), "Last-Event-ID", c.lastID)
	msgs, gaps := texts(t, other.opening())
	if len(gaps) != 0 || !slices.Contains(msgs, "two") {
		t.Fatalf("resumed with %q, gaps %q: line two, never sent, is missing", msgs, gaps)
	}
}

func TestAdvance(t *testing.T) {
	for _, tc := range []struct {
		sent []uint64
		want uint64
	}{
		{[]uint64{1, 2, 3}, 3},
		{[]uint64{1, 3}, 1},
		{[]uint64{1, 3, 2}, 3},
		{[]uint64{1, 4, 3, 2, 5}, 5},
		{[]uint64{1, 3, 3, 1}, 1},
	} {
		st := newStream(make([]*topic, 1), nil)
		st.marks[0] = mark{pos: 0, known: true}
		for _, p := range tc.sent {
			st.advance(0, p)
		}
		if st.marks[0].pos != tc.want {
			t.Errorf("sent %v: mark %d, want %d", tc.sent, st.marks[0].pos, tc.want)
		}
	}
	// A gap that never fills is given up once maxAhead lines wait above it.
	st := newStream(make([]*topic, 1), nil)
	st.marks[0] = mark{pos: 1, known: true}
	for p := uint64(3); p <= 3+maxAhead; p++ {
		st.advance(0, p)
	}
	if st.marks[0].pos != 3+maxAhead || len(st.ahead[0]) != 0 {
		t.Errorf("after %d lines above a gap: mark %d, %d ahead", maxAhead+1, st.marks[0].pos, len(st.ahead[0]))
	}
}
