// Command parity is a Spring STOMP application ported to stompbox mapping
// by mapping; the Node tests drive it with the real @stomp/stompjs. Each
// piece names the Spring feature it stands for.
//
//	go run ./examples/parity -addr 127.0.0.1:8081
//
// Users are named by the CONNECT login header (a demo: no password). The
// server pushes the time to /topic/clock every -clock interval, and every
// session event to /topic/events.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/messaging"
	"github.com/stompbox/stompbox/server"
	"github.com/stompbox/stompbox/sse"
)

// ChatMessage is a line in a room.
type ChatMessage struct {
	Room    string `json:"room"`
	Name    string `json:"name"`
	Content string `json:"content"`
}

// RoomInfo answers a subscription to /app/rooms/{room}/info.
type RoomInfo struct {
	Room   string   `json:"room"`
	Online []string `json:"online"`
}

// EventNote is what /topic/events carries for each session event.
type EventNote struct {
	Type        string `json:"type"`
	User        string `json:"user"`
	Session     string `json:"session"`
	Destination string `json:"destination,omitempty"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "HTTP address; STOMP over WebSocket at /chat-app")
	clock := flag.Duration("clock", time.Second, "how often the server pushes the time to /topic/clock")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	b := broker.NewMemory()                                            // enableSimpleBroker("/topic", "/queue")
	r := messaging.NewRouter(messaging.Config{Broker: b, Logger: log}) // setApplicationDestinationPrefixes("/app")
	var srv *server.Server

	// @MessageMapping("/rooms/{room}/chat") @SendTo("/topic/rooms.{room}")
	messaging.Handle(r, "/rooms/{room}/chat", func(ctx context.Context, m ChatMessage) (ChatMessage, error) {
		m.Room = messaging.Var(ctx, "room")
		if s, ok := server.SessionFrom(ctx); ok {
			m.Name = s.User // @AuthenticationPrincipal: the sender cannot pose as someone else
		}
		return m, nil
	}, messaging.SendTo("/topic/rooms.{room}"))

	// @MessageMapping("/echo/{room}") @SendTo("/topic/echo.{room}"): the
	// body, any JSON, relayed as it is; stompbench -send-dest measures the
	// application layer with it (docs/benchmarks.md).
	messaging.Handle(r, "/echo/{room}", func(ctx context.Context, m json.RawMessage) (json.RawMessage, error) {
		return m, nil
	}, messaging.SendTo("/topic/echo.{room}"))

	// @MessageMapping("/whoami") @SendToUser("/queue/reply")
	messaging.Handle(r, "/whoami", func(ctx context.Context, _ string) (string, error) {
		s, _ := server.SessionFrom(ctx)
		return s.User, nil
	}, messaging.SendToUser("/queue/reply"))

	// @MessageMapping("/ping") @SendToUser(destinations="/queue/reply", broadcast=false)
	messaging.Handle(r, "/ping", func(ctx context.Context, _ string) (string, error) {
		return "pong", nil
	}, messaging.SendToUser("/queue/reply", messaging.Broadcast(false)))

	// @MessageMapping("/rooms/{room}/close") with an @MessageExceptionHandler
	// @SendToUser("/queue/errors"): the error goes to the sender as JSON.
	messaging.Handle(r, "/rooms/{room}/close", func(ctx context.Context, _ string) (string, error) {
		return "", &messaging.Error{Code: "forbidden", Message: "only the owner may close " + messaging.Var(ctx, "room")}
	})

	// @SubscribeMapping("/rooms/{room}/info"): answered once, to the subscriber.
	messaging.Subscribe(r, "/rooms/{room}/info", func(ctx context.Context) (RoomInfo, error) {
		info := RoomInfo{Room: messaging.Var(ctx, "room"), Online: []string{}}
		for _, u := range srv.Users() { // SimpUserRegistry
			info.Online = append(info.Online, u.Name)
		}
		return info, nil
	})

	srv = server.New(server.Config{
		Broker: b, App: r, Logger: log,
		AllowedOrigins: []string{"*"}, // setAllowedOrigins("*"), as the seed did
		// A ChannelInterceptor on CONNECT: who is this?
		OnConnect: func(ctx context.Context, c *server.ConnectRequest) (string, error) {
			return c.Header.Get("login"), nil
		},
		// A ChannelInterceptor on SUBSCRIBE; SSE below applies the same rule.
		OnSubscribe: func(ctx context.Context, s *server.Session, dest string) error {
			return mayListen(s.User, dest)
		},
		// @EventListener for SessionConnectedEvent, SessionSubscribeEvent,
		// SessionUnsubscribeEvent and SessionDisconnectEvent.
		OnEvent: func(ctx context.Context, e server.Event) {
			if e.Destination == "/topic/events" {
				return // the observers' own subscriptions
			}
			note := EventNote{Type: e.Type.String(), User: e.Session.User, Session: e.Session.ID, Destination: e.Destination}
			if err := r.Publish(ctx, "/topic/events", note); err != nil {
				log.Error("event not published", "err", err)
			}
		},
	})
	r.Users = srv // convertAndSendToUser goes through the server's user registry

	// SimpMessagingTemplate from a scheduled task: the server talks first.
	go func() {
		tick := time.NewTicker(*clock)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case t := <-tick.C:
				r.Publish(ctx, "/topic/clock", map[string]string{"time": t.UTC().Format(time.RFC3339)})
			}
		}
	}()

	// SseEmitter: one-way notifications over the same broker, under the
	// same rule as SUBSCRIBE. (Anonymous here: -> mayListen with "".)
	events := sse.New(sse.Config{Broker: b, Logger: log,
		Authorize: func(ctx context.Context, user, dest string) error { return mayListen(user, dest) }})

	mux := http.NewServeMux()
	mux.Handle("/chat-app", srv) // registerStompEndpoints: addEndpoint("/chat-app")
	mux.Handle("GET /events", events)
	mux.HandleFunc("GET /users", func(w http.ResponseWriter, _ *http.Request) {
		var names []string
		for _, u := range srv.Users() {
			names = append(names, u.Name)
		}
		slices.Sort(names)
		w.Write([]byte(strings.Join(names, "\n")))
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	go hs.Serve(ln)
	log.Info("listening", "addr", ln.Addr().String())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	events.Shutdown(sctx)
	hs.Shutdown(sctx)
	srv.Shutdown(sctx)
}

// mayListen is the one authorization rule, for STOMP SUBSCRIBE and for
// Server-Sent Events: /topic/admin.* is for admin.
func mayListen(user, dest string) error {
	if strings.HasPrefix(dest, "/topic/admin.") && user != "admin" {
		return denial("admins only")
	}
	return nil
}

// denial is a refusal whose reason the client may see.
type denial string

func (d denial) Error() string       { return string(d) }
func (d denial) ClientError() string { return string(d) }
