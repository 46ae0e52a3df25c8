package messaging

import (
	"context"
	"errors"
	"fmt"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
)

// A UserPublisher delivers to users' destinations; *server.Server is one.
type UserPublisher interface {
	PublishToUser(ctx context.Context, user string, m *broker.Message) (int, error)
	PublishToSession(ctx context.Context, sessionID string, m *broker.Message) (int, error)
}

// A Template publishes messages the server starts itself: from a timer, an
// HTTP handler or any goroutine. It is Spring's SimpMessagingTemplate. Safe
// for concurrent use.
type Template struct {
	Broker broker.Broker
	// Users delivers to user destinations (PublishToUser). Set it to the
	// *server.Server.
	Users UserPublisher
}

// A PublishOption adds to a published message.
type PublishOption func(*frame.Header)

// WithHeader adds a header to the message (content-type and user headers;
// the server's own headers are dropped).
func WithHeader(key, value string) PublishOption {
	return func(h *frame.Header) { h.Add(key, value) }
}

// WithContentType sets the content-type, for a body passed as []byte or
// string.
func WithContentType(ct string) PublishOption {
	return func(h *frame.Header) { h.Set(frame.HdrContentType, ct) }
}

// Publish encodes v (JSON, or []byte and string as they are) and publishes
// it to destination, e.g. "/topic/notice". It returns once the broker has
// routed it.
func (t *Template) Publish(ctx context.Context, destination string, v any, opts ...PublishOption) error {
	m, err := message(destination, v, opts)
	if err != nil {
		return err
	}
	if err := t.Broker.Publish(ctx, m); err != nil {
		return fmt.Errorf("messaging: publish to %s: %w", destination, err)
	}
	return nil
}

// ErrNoUsers is returned by PublishToUser when the Template has no Users.
var ErrNoUsers = errors.New("messaging: Template.Users is not set")

// PublishToUser sends v to user's destination (e.g. "/queue/notice"),
// reaching each of the user's sessions subscribed to
// "/user/queue/notice", like SimpMessagingTemplate.convertAndSendToUser. A
// user with no such subscription is not an error.
func (t *Template) PublishToUser(ctx context.Context, user, destination string, v any, opts ...PublishOption) error {
	if t.Users == nil {
		return ErrNoUsers
	}
	m, err := message(destination, v, opts)
	if err != nil {
		return err
	}
	if _, err := t.Users.PublishToUser(ctx, user, m); err != nil {
		return fmt.Errorf("messaging: publish to user %s %s: %w", user, destination, err)
	}
	return nil
}

func (t *Template) publishToSession(ctx context.Context, sessionID, destination string, v any, opts []PublishOption) error {
	if t.Users == nil {
		return ErrNoUsers
	}
	m, err := message(destination, v, opts)
	if err != nil {
		return err
	}
	_, err = t.Users.PublishToSession(ctx, sessionID, m)
	return err
}

func message(destination string, v any, opts []PublishOption) (*broker.Message, error) {
	body, ct, err := encode(v)
	if err != nil {
		return nil, err
	}
	return broker.NewMessage(destination, header(ct, opts), body), nil
}
