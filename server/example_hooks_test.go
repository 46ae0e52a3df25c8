package server_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/stompbox/stompbox/server"
)

// ChannelInterceptors and session events: who connects, who may subscribe
// where, and what happened.
func ExampleConfig_hooks() {
	srv := server.New(server.Config{
		// preSend on CONNECT: authenticate from the CONNECT headers or the
		// handshake (c.Request carries cookies and Authorization).
		OnConnect: func(ctx context.Context, c *server.ConnectRequest) (string, error) {
			if c.Header.Get("passcode") != "letmein" {
				return "", errors.New("bad passcode")
			}
			return c.Header.Get("login"), nil
		},
		// preSend on SUBSCRIBE: authorize per destination.
		OnSubscribe: func(ctx context.Context, s *server.Session, dest string) error {
			if strings.HasPrefix(dest, "/topic/admin.") && s.User != "admin" {
				return errors.New("admins only")
			}
			return nil
		},
		// SessionConnectedEvent, SessionSubscribeEvent, SessionUnsubscribeEvent,
		// SessionDisconnectEvent.
		OnEvent: func(ctx context.Context, e server.Event) {
			slog.Info("session event", "type", e.Type, "user", e.Session.User, "dest", e.Destination)
		},
	})
	// SimpUserRegistry: who is online where.
	for _, u := range srv.Users() {
		slog.Info("online", "user", u.Name, "sessions", len(u.Sessions))
	}
	// Output:
}
