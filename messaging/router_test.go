package messaging_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/messaging"
)

// inbox subscribes to destinations on a broker and records what arrives.
type inbox struct {
	mu  sync.Mutex
	got []*broker.Message
}

func (in *inbox) Deliver(_ *broker.Subscription, m *broker.Message) bool {
	in.mu.Lock()
	in.got = append(in.got, m)
	in.mu.Unlock()
	return true
}

func listen(t *testing.T, b broker.Broker, dests ...string) *inbox {
	t.Helper()
	in := &inbox{}
	for _, d := range dests {
		if err := b.Subscribe(context.Background(), &broker.Subscription{ID: d, Destination: d, Subscriber: in}); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

func send(r *messaging.Router, dest, body string) (bool, error) {
	return r.HandleSend(context.Background(), broker.NewMessage(dest, nil, []byte(body)))
}

type greeting struct {
	Name string `json:"name"`
}

func TestHandleRoutesTypedJSON(t *testing.T) {
	b := broker.NewMemory()
	r := messaging.NewRouter(messaging.Config{Broker: b})
	var seen []string
	messaging.Handle(r, "/hello", func(ctx context.Context, g greeting) (greeting, error) {
		seen = append(seen, g.Name)
		return greeting{Name: g.Name + "!"}, nil
	}, messaging.SendTo("/topic/greetings"))
	in := listen(t, b, "/topic/greetings", "/topic/hello")

	handled, err := send(r, "/app/hello", `{"name":"홍길동"}`)
	if !handled || err != nil {
		t.Fatalf("handled=%v err=%v", handled, err)
	}
	if len(seen) != 1 || seen[0] != "홍길동" {
		t.Fatalf("handler saw %q", seen)
	}
	if len(in.got) != 1 || in.got[0].Destination != "/topic/greetings" || string(in.got[0].Body) != `{"name":"홍길동!"}` ||
		in.got[0].Header.Get(frame.HdrContentType) != messaging.ContentTypeJSON {
		t.Fatalf("published %+v", in.got)
	}
}

// Without SendTo, the result goes to /topic + the mapping's path.
func TestDefaultSendTo(t *testing.T) {
	b := broker.NewMemory()
	r := messaging.NewRouter(messaging.Config{Broker: b})
	messaging.Handle(r, "/echo", func(ctx context.Context, s string) (string, error) { return strings.ToUpper(s), nil })
	in := listen(t, b, "/topic/echo")
	if _, err := send(r, "/app/echo", "not json, a string"); err != nil {
		t.Fatal(err)
	}
	if len(in.got) != 1 || string(in.got[0].Body) != "NOT JSON, A STRING" || in.got[0].Header.Get(frame.HdrContentType) != messaging.ContentTypeText {
		t.Fatalf("published %+v", in.got)
	}
}

func TestNotOurs(t *testing.T) {
	r := messaging.NewRouter(messaging.Config{Broker: broker.NewMemory()})
	for _, d := range []string{"/topic/chat", "/application/x", "/ap", "/app"} {
		if handled, err := send(r, d, ""); handled || err != nil {
			t.Errorf("%s: handled=%v err=%v", d, handled, err)
		}
	}
}

func TestBadMessages(t *testing.T) {
	r := messaging.NewRouter(messaging.Config{Broker: broker.NewMemory(), Prefix: "/app/"})
	calls := 0
	messaging.Handle(r, "/hello", func(ctx context.Context, g greeting) (greeting, error) { calls++; return g, nil })
	for _, c := range []struct{ dest, body, want string }{
		{"/app/nothing", "{}", "no handler for /app/nothing"},
		{"/app/hello", "{nope", "could not be decoded"},
		{"/app/hello", `{"name":5}`, "could not be decoded"},
	} {
		handled, err := send(r, c.dest, c.body)
		var bad *messaging.BadMessageError
		if !handled || !errors.As(err, &bad) || !strings.Contains(bad.ClientError(), c.want) {
			t.Errorf("%s %q: handled=%v err=%v", c.dest, c.body, handled, err)
		}
	}
	if calls != 0 {
		t.Errorf("handler called %d times for bad input", calls)
	}
}

func TestHandlePanicsOnMisuse(t *testing.T) {
	r := messaging.NewRouter(messaging.Config{Broker: broker.NewMemory()})
	h := func(ctx context.Context, s string) (string, error) { return s, nil }
	messaging.Handle(r, "/a", h)
	for _, path := range []string{"/a", "a"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Handle(%q) did not panic", path)
				}
			}()
			messaging.Handle(r, path, h)
		}()
	}
}

func TestTemplatePublish(t *testing.T) {
	b := broker.NewMemory()
	in := listen(t, b, "/topic/notice")
	tpl := &messaging.Template{Broker: b}
	ctx := context.Background()
	for _, v := range []any{map[string]int{"n": 1}, "plain", []byte{0, 1}} {
		if err := tpl.Publish(ctx, "/topic/notice", v); err != nil {
			t.Fatal(err)
		}
	}
	want := []struct{ body, ct string }{{`{"n":1}`, messaging.ContentTypeJSON}, {"plain", messaging.ContentTypeText}, {"\x00\x01", messaging.ContentTypeOctet}}
	for i, w := range want {
		if string(in.got[i].Body) != w.body || in.got[i].Header.Get(frame.HdrContentType) != w.ct {
			t.Errorf("message %d: %q %q", i, in.got[i].Body, in.got[i].Header)
		}
	}
	if err := tpl.Publish(ctx, "/topic/notice", func() {}); err == nil {
		t.Error("publishing a func did not fail")
	}
	if err := tpl.Publish(ctx, "/nowhere", "x"); !errors.Is(err, broker.ErrBadDestination) {
		t.Errorf("bad destination: %v", err)
	}
}

// Handlers read the headers of the frame they handle: the SEND's for
// Handle, the SUBSCRIBE's for Subscribe.
func TestHeaderReachesHandlers(t *testing.T) {
	b := broker.NewMemory()
	r := messaging.NewRouter(messaging.Config{Broker: b})
	var sent string
	messaging.Handle(r, "/rooms/{room}/chat", func(ctx context.Context, body string) (string, error) {
		sent = messaging.Var(ctx, "room") + " " + messaging.Header(ctx, "client-id")
		return body, nil
	}, messaging.SendTo("/topic/rooms.{room}"))
	messaging.Subscribe(r, "/rooms/{room}/history", func(ctx context.Context) (string, error) {
		return messaging.Var(ctx, "room") + " before=" + messaging.Header(ctx, "before") + " absent=" + messaging.Header(ctx, "after"), nil
	})

	var h frame.Header
	h.Add("client-id", "c1")
	h.Add("client-id", "c2") // the first occurrence wins
	if ok, err := r.HandleSend(context.Background(), broker.NewMessage("/app/rooms/lobby/chat", h, []byte("hi"))); !ok || err != nil {
		t.Fatalf("send: %v %v", ok, err)
	}
	if sent != "lobby c1" {
		t.Fatalf("send handler saw %q, want %q", sent, "lobby c1")
	}

	var sh frame.Header
	sh.Add("before", "42")
	ok, reply, err := r.HandleSubscribe(context.Background(), "/app/rooms/lobby/history", sh)
	if !ok || err != nil || reply == nil {
		t.Fatalf("subscribe: %v %v %v", ok, reply, err)
	}
	if got, want := string(reply.Body), "lobby before=42 absent="; got != want {
		t.Fatalf("subscribe handler answered %q, want %q", got, want)
	}
}

// OnHandled hears of every handler call with the path the handler was
// registered with, never the destination, and with what it returned.
func TestOnHandled(t *testing.T) {
	var got []messaging.Handled
	r := messaging.NewRouter(messaging.Config{Broker: broker.NewMemory(), OnHandled: func(h messaging.Handled) { got = append(got, h) }})
	messaging.Handle(r, "/rooms/{room}/chat", func(ctx context.Context, s string) (string, error) {
		if s == "fail" {
			return "", &messaging.Error{Code: "c", Message: "m"}
		}
		return s, nil
	}, messaging.SendTo("/topic/x"))
	messaging.Subscribe(r, "/rooms", func(context.Context) (string, error) { return "", nil })

	send(r, "/app/rooms/lobby/chat", "hi")
	send(r, "/app/rooms/attic/chat", "fail")
	send(r, "/app/nowhere", "x") // no handler: nothing to time
	r.HandleSubscribe(context.Background(), "/app/rooms", nil)

	want := []struct {
		cmd, path string
		failed    bool
	}{{frame.SEND, "/rooms/{room}/chat", false}, {frame.SEND, "/rooms/{room}/chat", true}, {frame.SUBSCRIBE, "/rooms", false}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i, w := range want {
		if g := got[i]; g.Command != w.cmd || g.Path != w.path || (g.Err != nil) != w.failed || g.Duration < 0 {
			t.Errorf("call %d: %+v, want %+v", i, g, w)
		}
	}
}
