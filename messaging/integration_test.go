package messaging_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/internal/stomptest"
	"github.com/stompbox/stompbox/messaging"
	"github.com/stompbox/stompbox/server"
)

type chatLine struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// app is a server with a router over real TCP; users are named by their
// CONNECT login header.
type app struct {
	router *messaging.Router
	srv    *server.Server
	addr   string
}

func newApp(t *testing.T, register func(r *messaging.Router)) *app {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	b := broker.NewMemory()
	r := messaging.NewRouter(messaging.Config{Broker: b, Logger: log})
	register(r)
	srv := server.New(server.Config{Broker: b, App: r, Logger: log,
		OnConnect: func(ctx context.Context, c *server.ConnectRequest) (string, error) {
			return c.Header.Get("login"), nil
		}})
	r.Users = srv
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	return &app{router: r, srv: srv, addr: ln.Addr().String()}
}

func (a *app) login(t *testing.T, user string) *stomptest.Conn {
	t.Helper()
	c := stomptest.DialTCP(t, a.addr)
	if f := c.Connect("login", user); f.Header.Get("user-name") != user && user != "" {
		t.Fatalf("CONNECTED %q", f.Header)
	}
	return c
}

func TestDestinationVariables(t *testing.T) {
	a := newApp(t, func(r *messaging.Router) {
		messaging.Handle(r, "/rooms/{room}/chat", func(ctx context.Context, m chatLine) (chatLine, error) {
			m.Content = messaging.Var(ctx, "room") + ": " + m.Content
			return m, nil
		}, messaging.SendTo("/topic/rooms.{room}"))
		messaging.Handle(r, "/files/**", func(ctx context.Context, s string) (string, error) { return "any depth", nil },
			messaging.SendTo("/topic/files"))
	})
	c := a.login(t, "홍길동")
	c.Subscribe("lobby", "/topic/rooms.lobby")
	c.Subscribe("all", "/topic/rooms.*")
	c.Subscribe("files", "/topic/files")
	c.SendText("/app/rooms/lobby/chat", `{"name":"홍길동","content":"hi"}`)
	for range 2 { // once for the exact subscription, once for the pattern
		m := c.Expect(frame.MESSAGE)
		if m.Header.Get("destination") != "/topic/rooms.lobby" || !strings.Contains(string(m.Body), `"content":"lobby: hi"`) {
			t.Fatalf("MESSAGE %q %q", m.Header, m.Body)
		}
	}
	c.SendText("/app/rooms/kitchen/chat", `{"name":"홍길동","content":"x"}`)
	if m := c.Expect(frame.MESSAGE); m.Header.Get("subscription") != "all" || m.Header.Get("destination") != "/topic/rooms.kitchen" {
		t.Fatalf("pattern subscription got %q", m.Header)
	}
	c.SendText("/app/files/a/b/c", "x")
	if m := c.Expect(frame.MESSAGE); string(m.Body) != "any depth" {
		t.Fatalf("MESSAGE %q", m.Body)
	}
	c.SendText("/app/rooms/lobby/other", "{}") // no handler: a protocol error
	if f := c.ExpectError(); !strings.Contains(string(f.Body), "no handler for /app/rooms/lobby/other") {
		t.Fatalf("ERROR %q", f.Body)
	}
}

// Two tabs of one user both get a user-destination message and another
// user does not; Broadcast(false) reaches only the sending session.
func TestSendToUser(t *testing.T) {
	a := newApp(t, func(r *messaging.Router) {
		messaging.Handle(r, "/whoami", func(ctx context.Context, s string) (string, error) {
			sess, _ := server.SessionFrom(ctx)
			return sess.User, nil
		}, messaging.SendToUser("/queue/reply"))
		messaging.Handle(r, "/ping", func(ctx context.Context, s string) (string, error) { return "pong", nil },
			messaging.SendToUser("/queue/reply", messaging.Broadcast(false)))
	})
	tab1, tab2, other := a.login(t, "hong"), a.login(t, "hong"), a.login(t, "go")
	for _, c := range []*stomptest.Conn{tab1, tab2, other} {
		c.Subscribe("r", "/user/queue/reply")
	}
	tab1.SendText("/app/whoami", "")
	for _, c := range []*stomptest.Conn{tab1, tab2} {
		if m := c.Expect(frame.MESSAGE); string(m.Body) != "hong" || m.Header.Get("destination") != "/user/queue/reply" {
			t.Fatalf("MESSAGE %q %q", m.Header, m.Body)
		}
	}
	other.ExpectNothing(100 * time.Millisecond)
	tab2.SendText("/app/ping", "")
	if m := tab2.Expect(frame.MESSAGE); string(m.Body) != "pong" {
		t.Fatalf("MESSAGE %q", m.Body)
	}
	tab1.ExpectNothing(100 * time.Millisecond)

	// The server pushes to a user; a client sends to another user directly.
	if err := a.router.PublishToUser(context.Background(), "go", "/queue/reply", "for go only"); err != nil {
		t.Fatal(err)
	}
	tab1.SendText("/user/go/queue/reply", "from hong")
	for _, want := range []string{"for go only", "from hong"} {
		if m := other.Expect(frame.MESSAGE); string(m.Body) != want {
			t.Fatalf("go got %q, want %q", m.Body, want)
		}
	}
	tab1.ExpectNothing(50 * time.Millisecond)
	// Nobody names another session's private destination directly.
	info, _ := a.srv.User("go")
	tab1.Send(frame.New(frame.SUBSCRIBE, "id", "spy", "destination", "/queue/reply@"+info.Sessions[0].ID))
	if f := tab1.ExpectError(); f.Header.Get("message") != "reserved destination" {
		t.Fatalf("ERROR %q", f.Header)
	}
}

// A subscribe-mapped reply goes to its subscriber only, once.
func TestSubscribeMapping(t *testing.T) {
	a := newApp(t, func(r *messaging.Router) {
		messaging.Subscribe(r, "/rooms/{room}/state", func(ctx context.Context) (map[string]string, error) {
			return map[string]string{"room": messaging.Var(ctx, "room")}, nil
		})
	})
	c, bystander := a.login(t, "a"), a.login(t, "b")
	bystander.Subscribe("t", "/topic/rooms.lobby")
	c.Send(frame.New(frame.SUBSCRIBE, "id", "s1", "destination", "/app/rooms/lobby/state", "receipt", "r"))
	m := c.Expect(frame.MESSAGE)
	if string(m.Body) != `{"room":"lobby"}` || m.Header.Get("subscription") != "s1" || m.Header.Get("destination") != "/app/rooms/lobby/state" {
		t.Fatalf("MESSAGE %q %q", m.Header, m.Body)
	}
	c.Expect(frame.RECEIPT)
	c.Send(frame.New(frame.UNSUBSCRIBE, "id", "s1", "receipt", "u"))
	c.Expect(frame.RECEIPT)
	bystander.ExpectNothing(100 * time.Millisecond)
	c.ExpectNothing(50 * time.Millisecond)
}

// A handler's error goes to the sender's /user/queue/errors as JSON and
// the session goes on; a protocol error is an ERROR frame.
func TestHandlerErrors(t *testing.T) {
	a := newApp(t, func(r *messaging.Router) {
		messaging.Handle(r, "/fail", func(ctx context.Context, s string) (string, error) {
			if s == "full" {
				return "", &messaging.Error{Code: "room_full", Message: "the room is full"}
			}
			return "", errors.New("database password wrong")
		})
		messaging.Handle(r, "/strict", func(ctx context.Context, s string) (string, error) {
			return "", messaging.Reject("bodies must be %d bytes", 3)
		})
	})
	c, tab2 := a.login(t, "hong"), a.login(t, "hong")
	c.Subscribe("e", "/user/queue/errors")
	tab2.Subscribe("e", "/user/queue/errors")
	for body, want := range map[string]messaging.ErrorReply{
		"full":  {Destination: "/app/fail", Code: "room_full", Message: "the room is full"},
		"other": {Destination: "/app/fail", Message: "internal error"},
	} {
		c.SendText("/app/fail", body)
		var got messaging.ErrorReply
		m := c.Expect(frame.MESSAGE)
		if err := json.Unmarshal(m.Body, &got); err != nil || got != want || strings.Contains(string(m.Body), "password") {
			t.Fatalf("error reply %q, want %+v", m.Body, want)
		}
	}
	tab2.ExpectNothing(100 * time.Millisecond) // errors go to the sending session only
	c.SendText("/app/strict", "x")
	if f := c.ExpectError(); !strings.Contains(string(f.Body), "bodies must be 3 bytes") {
		t.Fatalf("ERROR %q", f.Body)
	}
}

func TestPublishOptions(t *testing.T) {
	a := newApp(t, func(r *messaging.Router) {})
	c := a.login(t, "a")
	c.Subscribe("n", "/topic/notice")
	err := a.router.Publish(context.Background(), "/topic/notice", []byte("<b>hi</b>"),
		messaging.WithContentType("text/html"), messaging.WithHeader("x-priority", "high"))
	if err != nil {
		t.Fatal(err)
	}
	m := c.Expect(frame.MESSAGE)
	if m.Header.Get("content-type") != "text/html" || m.Header.Get("x-priority") != "high" || string(m.Body) != "<b>hi</b>" {
		t.Fatalf("MESSAGE %q %q", m.Header, m.Body)
	}
	if err := (&messaging.Template{Broker: broker.NewMemory()}).PublishToUser(context.Background(), "x", "/queue/x", 1); !errors.Is(err, messaging.ErrNoUsers) {
		t.Fatalf("PublishToUser without Users: %v", err)
	}
}
