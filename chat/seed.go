package chat

import (
	"context"
	"log/slog"

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
// A nil logger means slog.Default().
func RegisterSeed(r *messaging.Router, log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	messaging.Handle(r, "/hello", func(ctx context.Context, m GreetingMessage) (GreetingMessage, error) {
		m.Name = speaker(ctx, m.Name)
		log.Debug("greeting", "name", m.Name)
		return m, nil
	}, messaging.SendTo(GreetingsTopic))
	messaging.Handle(r, "/chat", func(ctx context.Context, m ChatMessage) (ChatMessage, error) {
		m.Name = speaker(ctx, m.Name)
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
