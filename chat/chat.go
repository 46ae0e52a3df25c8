package chat

import (
	"context"
	"log/slog"

	"github.com/stompbox/stompbox/messaging"
)

// GreetingMessage announces someone joining, as in the seed.
type GreetingMessage struct {
	Name string `json:"name"`
}

// ChatMessage is one line of chat, as in the seed.
type ChatMessage struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// Destinations the application publishes to.
const (
	GreetingsTopic = "/topic/greetings"
	ChatTopic      = "/topic/chat"
)

// Register adds the chat handlers to r. A nil logger means slog.Default().
func Register(r *messaging.Router, log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	messaging.Handle(r, "/hello", func(ctx context.Context, m GreetingMessage) (GreetingMessage, error) {
		log.Info("greeting received", "name", m.Name)
		return m, nil
	}, messaging.SendTo(GreetingsTopic))
	messaging.Handle(r, "/chat", func(ctx context.Context, m ChatMessage) (ChatMessage, error) {
		log.Info("chat message received", "name", m.Name, "content", m.Content)
		return m, nil
	}, messaging.SendTo(ChatTopic))
}
