package chat_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/chat"
	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/history"
	"github.com/stompbox/stompbox/messaging"
	"github.com/stompbox/stompbox/server"
)

// inbox records what the broker delivers to the destinations it listens to.
type inbox struct {
	mu  sync.Mutex
	got []string
}

func (in *inbox) Deliver(_ *broker.Subscription, m *broker.Message) bool {
	in.mu.Lock()
	in.got = append(in.got, m.Destination+" "+string(m.Body))
	in.mu.Unlock()
	return true
}

// settle waits until at least n messages arrived (up to 5 s), then 50 ms
// more for any beyond, and takes them.
func (in *inbox) settle(n int) []string {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		in.mu.Lock()
		got := len(in.got)
		in.mu.Unlock()
		if got >= n {
			break
		}
	}
	time.Sleep(50 * time.Millisecond)
	return in.take()
}

func (in *inbox) take() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	got := in.got
	in.got = nil
	return got
}

// users stands in for the server: it records what goes to a session.
type users struct{ inbox }

func (u *users) PublishToUser(_ context.Context, user string, m *broker.Message) (int, error) {
	u.Deliver(nil, m)
	return 1, nil
}

func (u *users) PublishToSession(_ context.Context, id string, m *broker.Message) (int, error) {
	u.Deliver(nil, &broker.Message{Destination: id + ":" + m.Destination, Body: m.Body})
	return 1, nil
}

type fixture struct {
	app    *chat.App
	router *messaging.Router
	topics *inbox
	errs   *users
	now    time.Time
}

func newFixture(t *testing.T, listen ...string) *fixture {
	t.Helper()
	ctx := context.Background()
	b := broker.NewMemory()
	f := &fixture{topics: &inbox{}, errs: &users{}, now: time.Unix(1_800_000_000, 0)}
	f.router = messaging.NewRouter(messaging.Config{Broker: b, Logger: slog.New(slog.DiscardHandler)})
	f.router.Users = f.errs
	app, err := chat.New(ctx, chat.Config{
		Store: history.NewMemory(history.MemoryConfig{}), Router: f.router,
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return f.now },
	})
	if err != nil {
		t.Fatal(err)
	}
	app.Register(f.router)
	t.Cleanup(func() { app.Close() })
	f.app = app
	for _, d := range listen {
		if err := b.Subscribe(ctx, &broker.Subscription{ID: d, Destination: d, Subscriber: f.topics}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// session connects a named session and returns its handler context.
func (f *fixture) session(id, name string) context.Context {
	s := &server.Session{ID: id, User: name}
	ctx := server.WithSession(context.Background(), s)
	f.app.OnEvent(ctx, server.Event{Type: server.Connected, Session: s})
	return ctx
}

func (f *fixture) event(ctx context.Context, t server.EventType, subID, dest string) {
	s, _ := server.SessionFrom(ctx)
	f.app.OnEvent(ctx, server.Event{Type: t, Session: s, SubscriptionID: subID, Destination: dest})
}

func (f *fixture) send(t *testing.T, ctx context.Context, dest, body string, hdr ...string) {
	t.Helper()
	var h frame.Header
	for i := 0; i+1 < len(hdr); i += 2 {
		h.Add(hdr[i], hdr[i+1])
	}
	if ok, err := f.router.HandleSend(ctx, broker.NewMessage(dest, h, []byte(body))); !ok || err != nil {
		t.Fatalf("SEND %s: handled=%v err=%v", dest, ok, err)
	}
}

func TestValidName(t *testing.T) {
	for name, ok := range map[string]bool{
		"홍길동": true, "Bob Smith": true, strings.Repeat("가", 32): true,
		strings.Repeat("가", 33): false, "a\tb": false, "a\x00b": false,
		"홍길동\u200b": false, "\u202eevil": false, "a/b": false, "": false,
		"홍\u3164": false, "\u115f홍": false, "a\u034fb": false, "a\ufe0f": false,
	} {
		if got := chat.ValidName(name) == ""; got != ok {
			t.Errorf("ValidName(%q) ok=%v, want %v (%s)", name, got, ok, chat.ValidName(name))
		}
	}
}

func TestValidRoom(t *testing.T) {
	for room, ok := range map[string]bool{
		"lobby": true, "개발": true, "team-2_b": true, strings.Repeat("x", 40): true,
		strings.Repeat("x", 41): false, "a.b": false, "a b": false, "*": false, "": false, "a/b": false,
	} {
		if got := chat.ValidRoom(room); got != ok {
			t.Errorf("ValidRoom(%q) = %v, want %v", room, got, ok)
		}
	}
}

// A name joins with its first session in a room and leaves with its last,
// however the session ends; a second subscription is not a second member.
func TestPresence(t *testing.T) {
	f := newFixture(t, chat.MembersTopic("lobby"))
	tab1, tab2 := f.session("s1", "홍길동"), f.session("s2", "홍길동")
	f.event(tab1, server.Subscribed, "a", "/topic/rooms.lobby")
	f.event(tab1, server.Subscribed, "b", "/topic/rooms.lobby") // the same session, twice
	f.event(tab2, server.Subscribed, "a", "/topic/rooms.lobby")
	f.event(tab1, server.Subscribed, "c", "/topic/rooms.lobby.typing") // not presence
	// Presence events go out in order from the presence outbox.
	if got, want := f.topics.settle(1), []string{`/topic/rooms.lobby.members {"type":"join","name":"홍길동"}`}; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("joins %q, want %q", got, want)
	}
	_, reply, _ := f.router.HandleSubscribe(tab1, "/app/rooms/lobby/members", nil)
	if string(reply.Body) != `[{"name":"홍길동"}]` {
		t.Fatalf("members %s", reply.Body)
	}
	f.event(tab1, server.Unsubscribed, "a", "")
	f.event(tab1, server.Disconnected, "", "")
	if got := f.topics.settle(0); len(got) != 0 {
		t.Fatalf("a leave while tab2 is in: %q", got)
	}
	f.event(tab2, server.Disconnected, "", "")
	if got := f.topics.settle(1); len(got) != 1 || !strings.Contains(got[0], `"type":"leave"`) {
		t.Fatalf("leave %q", got)
	}
}

// A line is stamped from the session and stored before it is broadcast; a
// repeated client-id is neither stored nor broadcast again.
func TestPostStampsStoresAndDedupes(t *testing.T) {
	f := newFixture(t, chat.RoomTopic("lobby"))
	ctx := f.session("s1", "고길동")
	f.send(t, ctx, "/app/rooms/lobby/chat", `{"content":"안녕","name":"홍길동"}`, "client-id", "c1")
	f.send(t, ctx, "/app/rooms/lobby/chat", `{"content":"안녕"}`, "client-id", "c1")
	got := f.topics.take()
	if len(got) != 1 {
		t.Fatalf("broadcast %q, want one line", got)
	}
	var line history.Message
	json.Unmarshal([]byte(strings.TrimPrefix(got[0], "/topic/rooms.lobby ")), &line)
	if line.Name != "고길동" || line.ID != 1 || line.TS != f.now.UnixMilli() || line.Room != "lobby" {
		t.Fatalf("line %+v", line)
	}
	_, reply, _ := f.router.HandleSubscribe(ctx, "/app/rooms/lobby/history", nil)
	var page []history.Message
	if err := json.Unmarshal(reply.Body, &page); err != nil || len(page) != 1 || page[0].Content != "안녕" {
		t.Fatalf("history %s (%v)", reply.Body, err)
	}
}

// Past the burst a session's lines are refused until tokens come back.
func TestChatRate(t *testing.T) {
	f := newFixture(t, chat.RoomTopic("lobby"))
	ctx := f.session("s1", "수다")
	f.send(t, ctx, "/app/rooms", `{"name":"lobby"}`) // spends one token
	for range 20 {
		f.send(t, ctx, "/app/rooms/lobby/chat", `{"content":"x"}`)
	}
	if n := len(f.topics.take()); n != 19 {
		t.Fatalf("%d lines of a burst of 20 (one spent on the room), want 19", n)
	}
	if errs := f.errs.take(); len(errs) != 1 || !strings.Contains(errs[0], `"code":"rate-limited"`) || !strings.HasPrefix(errs[0], "s1:/queue/errors") {
		t.Fatalf("errors %q", errs)
	}
	f.now = f.now.Add(time.Second) // 5 more tokens
	for range 6 {
		f.send(t, ctx, "/app/rooms/lobby/chat", `{"content":"x"}`)
	}
	if n := len(f.topics.take()); n != 5 {
		t.Fatalf("%d lines a second later, want 5", n)
	}
	// With a receipt, the refusal is an error: no RECEIPT for a dropped line.
	_, err := f.router.HandleSend(server.WithReceipt(ctx), broker.NewMessage("/app/rooms/lobby/chat", nil, []byte(`{"content":"x"}`)))
	var bad *messaging.BadMessageError
	if !errors.As(err, &bad) || !strings.HasPrefix(bad.ClientError(), "rate-limited:") {
		t.Fatalf("receipted refusal: %v", err)
	}
}

func TestAuthorize(t *testing.T) {
	f := newFixture(t)
	ctx := f.session("s1", "a")
	s, _ := server.SessionFrom(ctx)
	for _, d := range []string{"/user/홍길동/queue/errors", "/topic/chat", "/topic/greetings", "/topic/rooms", "/topic/rooms.lobby", "/topic/rooms.x.typing"} {
		if err := f.app.AuthorizeSend(context.Background(), s, d); err == nil {
			t.Errorf("SEND to %s allowed", d)
		}
	}
	for _, d := range []string{"/topic/news", "/queue/jobs", "/app/rooms/lobby/chat", "/topic/roomsX", "/user/홍길동/queue/reply"} {
		if err := f.app.AuthorizeSend(context.Background(), s, d); err != nil {
			t.Errorf("SEND to %s refused: %v", d, err)
		}
	}
	for d, ok := range map[string]bool{
		"/topic/rooms.lobby": true, "/topic/rooms.lobby.members": true, "/topic/rooms": true,
		"/topic/rooms.*": false, "/topic/rooms.lobby.other": false, "/topic/rooms.a b": false,
	} {
		if err := f.app.AuthorizeSubscribe(context.Background(), s, d); (err == nil) != ok {
			t.Errorf("SUBSCRIBE %s: %v, want allowed=%v", d, err, ok)
		}
	}
	stranger := &server.Session{ID: "never-connected", User: "b"}
	if err := f.app.AuthorizeSubscribe(context.Background(), stranger, "/topic/rooms.made-by-stranger"); err == nil {
		t.Error("a session the app never heard connect made a room without a rate")
	}
	actx := f.session("s2", "")
	anon, _ := server.SessionFrom(actx)
	if err := f.app.AuthorizeSubscribe(context.Background(), anon, "/topic/rooms.new-room"); err == nil {
		t.Error("an anonymous session made a room")
	}
	if err := f.app.AuthorizeSubscribe(context.Background(), anon, "/topic/rooms.lobby"); err != nil {
		t.Errorf("an anonymous session may read an existing room: %v", err)
	}
}

func TestConnectClaimsNames(t *testing.T) {
	f := newFixture(t)
	connect := func(login, passcode string) (string, error) {
		var h frame.Header
		h.Add("login", login)
		if passcode != "" {
			h.Add("passcode", passcode)
		}
		return f.app.Connect(context.Background(), &server.ConnectRequest{Header: h})
	}
	if name, err := connect(" 홍길동 ", "s3cret"); err != nil || name != "홍길동" {
		t.Fatalf("first claim: %q %v", name, err)
	}
	if _, err := connect("홍길동", "other"); err == nil || !strings.Contains(err.Error(), "claimed by someone else") {
		t.Fatalf("another secret: %v", err)
	}
	if _, err := connect("홍길동", ""); err == nil {
		t.Fatal("no secret for a claimed name was accepted")
	}
	if name, err := connect("손님", ""); err != nil || name != "손님" {
		t.Fatalf("an unclaimed name without a secret: %q %v", name, err)
	}
	if name, err := connect("손님", "mine"); err != nil || name != "손님" {
		t.Fatalf("claiming a name used without a secret: %q %v", name, err)
	}
	if name, err := connect("", ""); err != nil || name != "" {
		t.Fatalf("anonymous: %q %v", name, err)
	}
}

// Names are kept in NFC: decomposed jamo are the same name as syllables.
func TestNormalName(t *testing.T) {
	decomposed := "\u1112\u1169\u11bc\u1100\u1175\u11af\u1103\u1169\u11bc" // 홍길동 as jamo
	if got := chat.NormalName("  " + decomposed + " "); got != "홍길동" {
		t.Fatalf("NormalName(jamo) = %q (% x), want 홍길동", got, got)
	}
	f := newFixture(t)
	connect := func(login, passcode string) error {
		var h frame.Header
		h.Add("login", login)
		h.Add("passcode", passcode)
		_, err := f.app.Connect(context.Background(), &server.ConnectRequest{Header: h, Remote: "192.0.2.1:1"})
		return err
	}
	if err := connect("홍길동", "mine"); err != nil {
		t.Fatal(err)
	}
	if err := connect(decomposed, "thief"); err == nil {
		t.Fatal("the decomposed spelling of a claimed name was accepted with another secret")
	}
}

// A page of history stays within MaxPageBytes: long lines make it shorter,
// keeping the newest for a latest page and the oldest for an after page.
func TestHistoryPageBytes(t *testing.T) {
	f := newFixture(t)
	ctx := f.session("s1", "긴글")
	long := strings.Repeat("<가", 1999) // 4,000 characters, 1999×4 = 7,996 bytes as JSON (no \u003c)
	for range 200 {
		f.now = f.now.Add(time.Second) // keep within the chat rate
		f.send(t, ctx, "/app/rooms/big/chat", `{"content":"`+long+`"}`)
	}
	page := func(hdr ...string) []history.Message {
		var h frame.Header
		for i := 0; i+1 < len(hdr); i += 2 {
			h.Add(hdr[i], hdr[i+1])
		}
		_, reply, err := f.router.HandleSubscribe(ctx, "/app/rooms/big/history", h)
		if err != nil || reply == nil {
			t.Fatalf("history %v: %v", hdr, err)
		}
		if len(reply.Body) > chat.MaxPageBytes {
			t.Fatalf("a page of %d bytes", len(reply.Body))
		}
		if strings.Contains(string(reply.Body), "\\u003c") {
			t.Fatal("the page is HTML-escaped")
		}
		var lines []history.Message
		if err := json.Unmarshal(reply.Body, &lines); err != nil {
			t.Fatal(err)
		}
		return lines
	}
	latest := page("limit", "200")
	if n := len(latest); n == 0 || n >= 200 || latest[n-1].ID != 200 {
		t.Fatalf("latest page: %d lines ending at %d, want fewer than 200 ending at 200", n, latest[len(latest)-1].ID)
	}
	first := page("after", "1", "limit", "200")
	if first[0].ID != 2 || len(first) != len(latest) {
		t.Fatalf("after 1: %d lines from %d, want %d from 2", len(first), first[0].ID, len(latest))
	}
	// Paging on until an empty page reads everything once.
	seen, last := 1, int64(1)
	for {
		p := page("after", fmt.Sprint(last), "limit", "200")
		if len(p) == 0 {
			break
		}
		seen += len(p)
		last = p[len(p)-1].ID
	}
	if seen != 200 {
		t.Fatalf("paging after ids read %d lines, want 200", seen)
	}
}

// On the seed's /app/chat an anonymous session may not use a claimed name.
func TestSeedClaimedNames(t *testing.T) {
	f := newFixture(t, chat.ChatTopic)
	var h frame.Header
	h.Add("login", "홍길동")
	h.Add("passcode", "secret")
	if _, err := f.app.Connect(context.Background(), &server.ConnectRequest{Header: h, Remote: "192.0.2.1:1"}); err != nil {
		t.Fatal(err)
	}
	anon := f.session("s9", "")
	f.send(t, anon, "/app/chat", `{"name":"홍길동","content":"사칭"}`)
	f.send(t, anon, "/app/chat", `{"name":"손님","content":"안녕"}`)
	if got := f.topics.take(); len(got) != 1 || !strings.Contains(got[0], `"name":"손님"`) {
		t.Fatalf("seed chat %q, want only 손님's line", got)
	}
	if errs := f.errs.take(); len(errs) != 1 || !strings.Contains(errs[0], "name-claimed") {
		t.Fatalf("errors %q", errs)
	}
}

// The room list holds the most recently active rooms, newest first.
func TestRoomList(t *testing.T) {
	f := newFixture(t)
	ctx := f.session("s1", "방장")
	for i := range chat.MaxRoomList + 5 {
		f.now = f.now.Add(time.Minute) // a token back, and a later activity
		f.send(t, ctx, "/app/rooms", fmt.Sprintf(`{"name":"room-%03d"}`, i))
	}
	f.now = f.now.Add(time.Minute)
	f.send(t, ctx, "/app/rooms/room-000/chat", `{"content":"살아 있어요"}`)
	f.now = f.now.Add(2 * time.Second) // past the cached answer
	_, reply, err := f.router.HandleSubscribe(ctx, "/app/rooms", nil)
	if err != nil {
		t.Fatal(err)
	}
	var list []chat.RoomInfo
	if err := json.Unmarshal(reply.Body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != chat.MaxRoomList || list[0].Name != "room-000" || list[1].Name != fmt.Sprintf("room-%03d", chat.MaxRoomList+4) {
		t.Fatalf("%d rooms, first %q then %q", len(list), list[0].Name, list[1].Name)
	}
	for _, r := range list {
		if r.Name == "room-001" {
			t.Fatal("the least recently active room is listed")
		}
	}
}

// gatedStore holds every Messages call until its gate opens.
type gatedStore struct {
	history.Store
	entered chan struct{}
	gate    chan struct{}
}

func (s *gatedStore) Messages(ctx context.Context, room string, q history.Query) ([]history.Message, error) {
	s.entered <- struct{}{}
	<-s.gate
	return s.Store.Messages(ctx, room, q)
}

// The HTTP history endpoint reads at most MaxHTTPReads pages at once; the
// next request gets a 503 naming the limit, and nothing waits.
func TestHistoryHandlerBound(t *testing.T) {
	st := &gatedStore{Store: history.NewMemory(history.MemoryConfig{}), entered: make(chan struct{}, chat.MaxHTTPReads), gate: make(chan struct{})}
	b := broker.NewMemory()
	r := messaging.NewRouter(messaging.Config{Broker: b})
	app, err := chat.New(context.Background(), chat.Config{Store: st, Router: r, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/rooms/{room}/messages", app.HistoryHandler())
	var wg sync.WaitGroup
	for range chat.MaxHTTPReads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest("GET", "/api/rooms/lobby/messages", nil))
			if rec.Code != http.StatusOK || rec.Body.String() != "[]" {
				t.Errorf("a held read: %d %q", rec.Code, rec.Body)
			}
		}()
	}
	for range chat.MaxHTTPReads {
		<-st.entered
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/api/rooms/lobby/messages", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "MaxHTTPReads") || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("past the bound: %d %q", rec.Code, rec.Body)
	}
	close(st.gate)
	wg.Wait()
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/api/rooms/bad.room/messages", nil))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("a bad room: %d", rec.Code)
	}
}

// Joining rooms is rate-limited per session: churning SUBSCRIBE and
// UNSUBSCRIBE would broadcast a join and a leave to every member each time.
func TestJoinChurnIsLimited(t *testing.T) {
	f := newFixture(t)
	ctx := f.session("s1", "들락날락")
	s, _ := server.SessionFrom(ctx)
	f.send(t, ctx, "/app/rooms", `{"name":"lobby"}`)
	n := 0
	for range 1000 {
		if f.app.AuthorizeSubscribe(context.Background(), s, "/topic/rooms.lobby") != nil {
			break
		}
		n++
	}
	if n != 100 {
		t.Fatalf("%d joins at once, want a burst of 100", n)
	}
	if err := f.app.AuthorizeSubscribe(context.Background(), s, "/topic/rooms.lobby.typing"); err != nil {
		t.Fatalf("the typing topic is not a join: %v", err)
	}
	f.now = f.now.Add(time.Second)
	if err := f.app.AuthorizeSubscribe(context.Background(), s, "/topic/rooms.lobby"); err != nil {
		t.Fatalf("a join a second later: %v", err)
	}
}

// Two Apps on one broker are two nodes: member lists are the union, a
// name's second tab on the other node is not a second join, and a node
// that stops without a word is forgotten within three intervals, its
// users' leaves announced by a live node.
func TestPresenceAcrossNodes(t *testing.T) {
	ctx := context.Background()
	b := broker.NewMemory()
	events := &inbox{}
	b.Subscribe(ctx, &broker.Subscription{ID: "ev", Destination: chat.MembersTopic("lobby"), Subscriber: events})
	newNode := func() (*chat.App, *messaging.Router) {
		r := messaging.NewRouter(messaging.Config{Broker: b, Logger: slog.New(slog.DiscardHandler)})
		r.Users = &users{}
		app, err := chat.New(ctx, chat.Config{Store: history.NewMemory(history.MemoryConfig{}), Router: r,
			Logger: slog.New(slog.DiscardHandler), PresenceInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		app.Register(r)
		return app, r
	}
	n1, r1 := newNode()
	defer n1.Close()
	n2, _ := newNode()
	join := func(app *chat.App, id, name string) {
		s := &server.Session{ID: id, User: name, Remote: "192.0.2.1:1"}
		sctx := server.WithSession(ctx, s)
		app.OnEvent(sctx, server.Event{Type: server.Connected, Session: s})
		app.OnEvent(sctx, server.Event{Type: server.Subscribed, Session: s, SubscriptionID: "1", Destination: "/topic/rooms.lobby"})
	}
	members := func() string {
		_, reply, err := r1.HandleSubscribe(ctx, "/app/rooms/lobby/members", nil)
		if err != nil {
			t.Fatal(err)
		}
		return string(reply.Body)
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	join(n1, "a1", "홍길동")
	join(n2, "b1", "고길동")
	waitFor("node 1 to list node 2's member", func() bool { return members() == `[{"name":"고길동"},{"name":"홍길동"}]` })
	join(n2, "b2", "홍길동") // a second tab, on the other node
	time.Sleep(100 * time.Millisecond)
	got := events.take()
	sort.Strings(got) // the two nodes' outboxes publish independently
	if len(got) != 2 || !strings.Contains(got[0], "고길동") || !strings.Contains(got[1], "홍길동") {
		t.Fatalf("join events %q, want one each", got)
	}

	n2.Crash()
	waitFor("node 1 to forget node 2", func() bool { return members() == `[{"name":"홍길동"}]` })
	waitFor("the leave of node 2's user", func() bool {
		for _, e := range events.take() {
			if strings.Contains(e, `{"type":"leave","name":"고길동"}`) {
				return true
			}
			if strings.Contains(e, "홍길동") {
				t.Fatalf("홍길동 is still on node 1, yet: %s", e)
			}
		}
		return false
	})
}

// crashOnJoin crashes a node the moment its join event is delivered.
type crashOnJoin struct {
	inbox
	once  sync.Once
	kill  func() // synchronous: nothing after the join goes out
	crash func()
}

func (c *crashOnJoin) Deliver(s *broker.Subscription, m *broker.Message) bool {
	c.inbox.Deliver(s, m)
	if strings.Contains(string(m.Body), `"join"`) {
		c.once.Do(func() { c.kill(); go c.crash() })
	}
	return true
}

// A node killed right after its join went out has told the other nodes
// first: its user's leave is announced when it is forgotten.
func TestKilledAfterJoin(t *testing.T) {
	ctx := context.Background()
	b := broker.NewMemory()
	newNode := func() *chat.App {
		r := messaging.NewRouter(messaging.Config{Broker: b, Logger: slog.New(slog.DiscardHandler)})
		r.Users = &users{}
		app, err := chat.New(ctx, chat.Config{Store: history.NewMemory(history.MemoryConfig{}), Router: r,
			Logger: slog.New(slog.DiscardHandler), PresenceInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return app
	}
	n1 := newNode()
	defer n1.Close()
	n2 := newNode()
	events := &crashOnJoin{kill: n2.Kill, crash: n2.Crash}
	b.Subscribe(ctx, &broker.Subscription{ID: "ev", Destination: chat.MembersTopic("lobby"), Subscriber: events})
	s := &server.Session{ID: "b1", User: "떠날이", Remote: "192.0.2.1:1"}
	sctx := server.WithSession(ctx, s)
	n2.OnEvent(sctx, server.Event{Type: server.Connected, Session: s})
	n2.OnEvent(sctx, server.Event{Type: server.Subscribed, Session: s, SubscriptionID: "1", Destination: "/topic/rooms.lobby"})
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		events.mu.Lock()
		got := strings.Join(events.got, "\n")
		events.mu.Unlock()
		if strings.Contains(got, `{"type":"leave","name":"떠날이"}`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no leave after the node died: %s", got)
		}
	}
}
