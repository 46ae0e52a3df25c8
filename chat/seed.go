package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/stompbox/stompbox/history"
	"github.com/stompbox/stompbox/messaging"
	"github.com/stompbox/stompbox/server"
)

// GreetingMessage announces someone joining, as in the seed.
type GreetingMessage struct {
	Name string `json:"name"`
}

// ChatMessage is one line of the seed's chat.
type ChatMessage struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// RegisterSeed adds the seed's two handlers to r: /app/hello takes a
// GreetingMessage and announces it on /topic/greetings, /app/chat takes a
// ChatMessage and relays it on /topic/chat. A session with a name speaks
// as it, whatever the body says. Contents are logged at debug level only.
// A nil logger means slog.Default(). (An App registers them with its rates
// and its claimed names as well: see App.Register.)
func RegisterSeed(r *messaging.Router, log *slog.Logger) {
	registerSeed(r, log, func(ctx context.Context, claimed string) (string, error) {
		return speaker(ctx, claimed), nil
	})
}

func registerSeed(r *messaging.Router, log *slog.Logger, who func(ctx context.Context, claimed string) (string, error)) {
	if log == nil {
		log = slog.Default()
	}
	messaging.Handle(r, "/hello", func(ctx context.Context, m GreetingMessage) (GreetingMessage, error) {
		var err error
		if m.Name, err = who(ctx, m.Name); err != nil {
			return m, err
		}
		log.Debug("greeting", "name", m.Name)
		return m, nil
	}, messaging.SendTo(GreetingsTopic))
	messaging.Handle(r, "/chat", func(ctx context.Context, m ChatMessage) (ChatMessage, error) {
		var err error
		if m.Name, err = who(ctx, m.Name); err != nil {
			return m, err
		}
		log.Debug("seed chat line", "name", m.Name, "bytes", len(m.Content))
		return m, nil
	}, messaging.SendTo(ChatTopic))
}

// speaker is the name a line is shown under: the session's, when it has
// one, else what the body claimed.
func speaker(ctx context.Context, claimed string) string {
	if s, ok := server.SessionFrom(ctx); ok && s.User != "" {
		return s.User
	}
	return claimed
}

// seedSpeaker is speaker with the App's rules: each line spends the
// session's chat rate, and an anonymous session may not use a claimed
// name (the seed's page sends no passcode, so its users are anonymous
// unless they log in with a name nobody claimed).
func (a *App) seedSpeaker(ctx context.Context, claimed string) (string, error) {
	s, ok := server.SessionFrom(ctx)
	if !ok {
		return claimed, nil
	}
	if err := a.spend(s, a.linesByIP, "lines"); err != nil {
		return "", a.forClient(ctx, err)
	}
	if s.User != "" {
		return s.User, nil
	}
	if name := NormalName(claimed); name != "" {
		err := a.store.Claim(ctx, name, nil)
		if errors.Is(err, history.ErrNameTaken) {
			return "", a.forClient(ctx, refuse("name-claimed", fmt.Sprintf("the name %q is claimed: connect as it to speak as it", name)))
		}
		if err != nil {
			return "", a.forClient(ctx, err)
		}
	}
	return claimed, nil
}
