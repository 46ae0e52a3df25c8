package server_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/internal/stomptest"
	"github.com/stompbox/stompbox/server"
)

// clientErr is an error whose text the client may see.
type clientErr string

func (e clientErr) Error() string       { return string(e) }
func (e clientErr) ClientError() string { return string(e) }

// recorder keeps the events a server fires.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) handle(ctx context.Context, e server.Event) {
	s, _ := server.SessionFrom(ctx)
	if s != e.Session {
		panic("the event's context does not carry its session")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, strings.TrimSpace(fmt.Sprintf("%s %s %s %s", e.Type, e.Session.User, e.SubscriptionID, e.Destination)))
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// waitEvents waits for the recorder to hold want, in order.
func (r *recorder) waitEvents(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if slices.Equal(r.list(), want) {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("events %q\nwant   %q", r.list(), want)
}

func hooks(rec *recorder) server.Config {
	return server.Config{
		OnConnect: func(ctx context.Context, c *server.ConnectRequest) (string, error) {
			if c.Header.Get("passcode") == "wrong" {
				return "", clientErr("bad passcode")
			}
			if c.Request != nil && c.Request.URL.Path != "/chat-app" {
				return "", errors.New("no handshake")
			}
			return c.Header.Get("login"), nil
		},
		OnSubscribe: func(ctx context.Context, s *server.Session, dest string) error {
			if strings.HasPrefix(dest, "/topic/admin") && s.User != "admin" {
				return clientErr("admins only")
			}
			return nil
		},
		OnSend: func(ctx context.Context, s *server.Session, dest string) error {
			if dest == "/topic/readonly" {
				return errors.New("secret reason")
			}
			return nil
		},
		OnEvent: rec.handle,
	}
}

func TestConnectHook(t *testing.T) {
	transports(t, hooks(&recorder{}), func(t *testing.T, e *env, dial func() *stomptest.Conn) {
		c := dial()
		if f := c.Connect("login", "홍길동"); f.Header.Get("user-name") != "홍길동" {
			t.Fatalf("CONNECTED %q", f.Header)
		}
		anon := dial()
		if f := anon.Connect(); f.Header.Has("user-name") {
			t.Fatalf("anonymous CONNECTED %q", f.Header)
		}
		bad := dial()
		bad.Send(frame.New(frame.CONNECT, "accept-version", "1.2", "login", "x", "passcode", "wrong"))
		if f := bad.ExpectError(); f.Header.Get("message") != "access denied" || !strings.Contains(string(f.Body), "bad passcode") {
			t.Fatalf("ERROR %q %q", f.Header, f.Body)
		}
	})
}

// A denied SUBSCRIBE or SEND is an ERROR naming the destination; the hook's
// reason is shown only when it is meant for the client.
func TestAuthorizeHooks(t *testing.T) {
	transports(t, hooks(&recorder{}), func(t *testing.T, e *env, dial func() *stomptest.Conn) {
		admin := dial()
		admin.Connect("login", "admin")
		admin.Subscribe("a", "/topic/admin.log")

		c := dial()
		c.Connect("login", "hong")
		c.Send(frame.New(frame.SUBSCRIBE, "id", "1", "destination", "/topic/admin.log"))
		f := c.ExpectError()
		if f.Header.Get("message") != "access denied" || string(f.Body) != "not allowed to subscribe to /topic/admin.log: admins only\n" {
			t.Fatalf("ERROR %q %q", f.Header, f.Body)
		}
		c = dial()
		c.Connect("login", "hong")
		c.SendText("/topic/readonly", "x")
		f = c.ExpectError()
		if string(f.Body) != "not allowed to send to /topic/readonly\n" {
			t.Fatalf("ERROR %q: the hook's own reason must stay in the log", f.Body)
		}
		admin.SendText("/topic/admin.log", "still here", "receipt", "r")
		admin.Expect(frame.MESSAGE)
	})
}

// Each event fires exactly once: for a clean DISCONNECT and for a socket
// that just dies.
func TestEventsOncePerSession(t *testing.T) {
	for _, how := range []string{"disconnect", "killed"} {
		t.Run(how, func(t *testing.T) {
			rec := &recorder{}
			transports(t, hooks(rec), func(t *testing.T, e *env, dial func() *stomptest.Conn) {
				rec.mu.Lock()
				rec.events = nil
				rec.mu.Unlock()
				c := dial()
				c.Connect("login", "hong")
				c.Subscribe("1", "/topic/a")
				c.Subscribe("2", "/user/queue/b")
				c.Send(frame.New(frame.UNSUBSCRIBE, "id", "1", "receipt", "u"))
				c.Expect(frame.RECEIPT)
				if how == "disconnect" {
					c.Send(frame.New(frame.DISCONNECT, "receipt", "bye"))
					c.Expect(frame.RECEIPT)
				} else {
					if tc, ok := c.Raw().(*net.TCPConn); ok {
						tc.SetLinger(0)
					}
					c.Raw().Close()
				}
				rec.waitEvents(t,
					"connected hong",
					"subscribed hong 1 /topic/a",
					"subscribed hong 2 /user/queue/b",
					"unsubscribed hong 1 /topic/a",
					"disconnected hong")
				time.Sleep(50 * time.Millisecond)
				rec.waitEvents(t, rec.list()...) // nothing more came
				if n := len(rec.list()); n != 5 {
					t.Fatalf("%d events", n)
				}
			})
		})
	}
}

// The registry knows who is online where, and forgets sessions that end.
func TestRegistry(t *testing.T) {
	e := start(t, hooks(&recorder{}))
	tab1 := stomptest.DialWS(t, e.wsURL, "", "v12.stomp")
	tab1.Connect("login", "hong")
	tab1.Subscribe("a", "/topic/chat")
	tab2 := stomptest.DialTCP(t, e.tcp)
	id2 := tab2.Connect("login", "hong").Header.Get("session")
	tab2.Subscribe("b", "/user/queue/reply")
	other := stomptest.DialTCP(t, e.tcp)
	other.Connect("login", "go")
	anon := stomptest.DialTCP(t, e.tcp)
	anon.Connect()

	users := e.srv.Users()
	if len(users) != 2 || users[0].Name != "go" || users[1].Name != "hong" || len(users[1].Sessions) != 2 {
		t.Fatalf("Users() = %+v", users)
	}
	hong, _ := e.srv.User("hong")
	var subs []string
	for _, s := range hong.Sessions {
		for _, sub := range s.Subscriptions {
			subs = append(subs, s.Transport+":"+sub.ID+"="+sub.Destination)
		}
	}
	slices.Sort(subs)
	if strings.Join(subs, " ") != "tcp:b=/user/queue/reply websocket:a=/topic/chat" {
		t.Fatalf("subscriptions %q", subs)
	}
	tab1.Send(frame.New(frame.DISCONNECT, "receipt", "bye"))
	tab1.Expect(frame.RECEIPT)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if u, _ := e.srv.User("hong"); len(u.Sessions) == 1 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if u, _ := e.srv.User("hong"); len(u.Sessions) != 1 || u.Sessions[0].ID != id2 {
		t.Fatalf("after one tab left: %+v", u)
	}
}
