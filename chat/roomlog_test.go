package chat_test

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/chat"
	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/history"
	"github.com/stompbox/stompbox/messaging"
	"github.com/stompbox/stompbox/server"
	"github.com/stompbox/stompbox/sse"
)

var _ sse.Log = (*chat.RoomLog)(nil)

// node is one stompbox node as far as SSE goes: a chat App and an SSE
// endpoint whose log is the App's rooms. Nodes share a broker and a store.
type node struct {
	router *messaging.Router
	app    *chat.App
	url    string
}

func newNode(t *testing.T, b broker.Broker, store history.Store) *node {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	r := messaging.NewRouter(messaging.Config{Broker: b, Logger: log})
	r.Users = &users{}
	app, err := chat.New(context.Background(), chat.Config{Store: store, Router: r, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	app.Register(r)
	events := sse.New(sse.Config{Broker: b, Logger: log, Log: app.RoomLog()})
	mux := http.NewServeMux()
	mux.Handle("GET /events", events)
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		events.Shutdown(context.Background())
		ts.Close()
		app.Close()
	})
	return &node{router: r, app: app, url: ts.URL}
}

// say posts content to room as name, through this node.
func (n *node) say(t *testing.T, name, room, content string) {
	t.Helper()
	s := &server.Session{ID: name + "@" + n.url, User: name}
	ctx := server.WithSession(context.Background(), s)
	n.app.OnEvent(ctx, server.Event{Type: server.Connected, Session: s})
	body, _ := json.Marshal(chat.ChatIn{Content: content})
	if ok, err := n.router.HandleSend(ctx, broker.NewMessage("/app/rooms/"+room+"/chat", frame.Header{}, body)); !ok || err != nil {
		t.Fatalf("say: handled=%v err=%v", ok, err)
	}
}

// sseEvent is an event of a stream: its id, and the chat line it carries.
type sseEvent struct {
	id, typ string
	line    chat.Line
}

// stream is an SSE client of a node.
type stream struct {
	t      *testing.T
	events chan sseEvent
	lastID string
	cancel context.CancelFunc
}

// listen opens a stream of room's lines, resuming from lastID if given,
// and waits for its opening id line; it returns the stream and the events
// before that line (what was replayed).
func (n *node) listen(t *testing.T, room, lastID string) (*stream, []sseEvent) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", n.url+"/events?destination="+url.QueryEscape(chat.RoomTopic(room)), nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("GET /events: %v %v", res, err)
	}
	s := &stream{t: t, events: make(chan sseEvent, 1000), cancel: cancel}
	t.Cleanup(s.close)
	go func() {
		defer res.Body.Close()
		defer close(s.events)
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		var data string
		for sc.Scan() {
			field, value, _ := strings.Cut(sc.Text(), ": ")
			switch field {
			case "id":
				ev.id = value
			case "event":
				ev.typ = value
			case "data":
				data = value
			case "":
				if data == "" && ev.id != "" {
					s.events <- sseEvent{id: ev.id, typ: "open"} // a lone id line
				}
				if data != "" {
					var env sse.Envelope
					json.Unmarshal([]byte(data), &env)
					json.Unmarshal([]byte(env.Body), &ev.line)
					s.events <- ev
				}
				ev, data = sseEvent{}, ""
			}
		}
	}()
	var replayed []sseEvent
	for {
		ev := s.next()
		if ev.typ == "open" {
			return s, replayed
		}
		replayed = append(replayed, ev)
	}
}

func (s *stream) close() { s.cancel() }

// next returns the next event.
func (s *stream) next() sseEvent {
	s.t.Helper()
	select {
	case ev := <-s.events:
		s.lastID = ev.id
		return ev
	case <-time.After(5 * time.Second):
		s.t.Fatal("no event")
	}
	return sseEvent{}
}

// quiet fails if an event comes within d.
func (s *stream) quiet(d time.Duration) {
	s.t.Helper()
	select {
	case ev, ok := <-s.events:
		if ok {
			s.t.Fatalf("unexpected event %+v", ev)
		}
	case <-time.After(d):
	}
}

func contents(evs []sseEvent) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.typ+" "+ev.line.Content)
	}
	return out
}

// A live view resumes on another node from the history: exactly the
// lines it missed, then live ones.
func TestRoomLogResumesSSEOnAnyNode(t *testing.T) {
	b, store := broker.NewMemory(), history.NewMemory(history.MemoryConfig{})
	a, bn := newNode(t, b, store), newNode(t, b, store)

	s, _ := bn.listen(t, "lobby", "")
	a.say(t, "홍길동", "lobby", "one")
	if ev := s.next(); ev.line.Content != "one" || !strings.HasSuffix(ev.id, ":1") {
		t.Fatalf("on B: %+v, want line one with an id ending in :1", ev)
	}
	s.close()
	a.say(t, "홍길동", "lobby", "two")
	bn.say(t, "고길동", "lobby", "three")

	s, replayed := a.listen(t, "lobby", s.lastID)
	if got, want := contents(replayed), []string{"message two", "message three"}; !slices.Equal(got, want) {
		t.Fatalf("resumed on A with %q, want %q", got, want)
	}
	for i, ev := range replayed {
		if ev.line.ID != int64(i+2) || ev.line.Room != "lobby" {
			t.Errorf("replayed line %+v", ev.line)
		}
	}
	bn.say(t, "고길동", "lobby", "four")
	if ev := s.next(); ev.line.Content != "four" || ev.line.ID != 4 {
		t.Errorf("then %+v, want line four", ev)
	}
	s.quiet(50 * time.Millisecond)
}

// What the log replays is what the room's topic carried, byte for byte,
// and only the room's chat lines are logged.
func TestRoomLogReplaysWhatWasBroadcast(t *testing.T) {
	f := newFixture(t, chat.RoomTopic("lobby"))
	ctx := f.session("s1", "홍길동")
	f.send(t, ctx, "/app/rooms/lobby/chat", `{"content":"<b>\"따옴표\" & 줄\n바꿈</b>"}`)
	f.send(t, ctx, "/app/rooms/lobby/chat", `{"content":"둘"}`)
	live := f.topics.settle(2)
	lg := f.app.RoomLog()
	dest := chat.RoomTopic("lobby")

	head, ok, err := lg.Head(context.Background(), dest)
	if head != 2 || !ok || err != nil {
		t.Fatalf("Head = %d, %v, %v; want 2", head, ok, err)
	}
	msgs, err := lg.After(context.Background(), dest, 0, 10)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("After(0) = %d messages, %v", len(msgs), err)
	}
	for i, m := range msgs {
		if got := m.Destination + " " + string(m.Body); got != live[i] {
			t.Errorf("replayed %s\nbroadcast %s", got, live[i])
		}
		if ct := m.Header.Get(frame.HdrContentType); ct != messaging.ContentTypeJSON {
			t.Errorf("content-type %q", ct)
		}
		if pos, ok := lg.Position(m); pos != uint64(i+1) || !ok {
			t.Errorf("Position = %d, %v; want %d", pos, ok, i+1)
		}
	}
	if msgs, _ := lg.After(context.Background(), dest, 1, 10); len(msgs) != 1 {
		t.Errorf("After(1) = %d messages, want 1", len(msgs))
	}
	for _, d := range []string{chat.MembersTopic("lobby"), chat.TypingTopic("lobby"), chat.ChatTopic, chat.RoomsTopic} {
		if _, ok, _ := lg.Head(context.Background(), d); ok {
			t.Errorf("%s is logged", d)
		}
		if _, ok := lg.Position(broker.NewMessage(d, frame.Header{}, []byte(`{"id":1,"name":"x"}`))); ok {
			t.Errorf("a message on %s has a position", d)
		}
	}
	if head, ok, _ := lg.Head(context.Background(), chat.RoomTopic("empty")); head != 0 || !ok {
		t.Errorf("Head of a room without lines = %d, %v; want 0, true", head, ok)
	}
}
