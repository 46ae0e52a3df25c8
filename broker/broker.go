package broker

import (
	"context"
	"errors"
	"strings"
)

// A Broker routes messages from publishers to subscriptions.
type Broker interface {
	// Subscribe makes s live: it returns once a message published after
	// it will reach s.
	Subscribe(ctx context.Context, s *Subscription) error
	// Unsubscribe stops deliveries to s; unknown subscriptions are ignored.
	Unsubscribe(ctx context.Context, s *Subscription) error
	// Publish routes m; it returns once m has been handed to every
	// subscriber it goes to. m must not be changed afterwards.
	Publish(ctx context.Context, m *Message) error
}

// A Subscriber receives messages. Deliver is called from the publisher's
// goroutine and must not block.
type Subscriber interface {
	Deliver(s *Subscription, m *Message)
}

// A Subscription is one subscriber's interest in one destination.
type Subscription struct {
	// ID is the subscriber's name for it (the STOMP subscription id).
	ID string
	// Destination is what it subscribes to, e.g. "/topic/chat".
	Destination string
	// Subscriber receives its messages.
	Subscriber Subscriber
}

// A Requeuer takes back a queue message that a subscriber did not
// acknowledge (NACK, or its session ended) and gives it to another
// subscriber. Brokers that redeliver by themselves need not implement it.
type Requeuer interface {
	Requeue(ctx context.Context, from *Subscription, m *Message) error
}

// Errors.
var (
	ErrBadDestination = errors.New("broker: invalid destination")
	ErrQueueFull      = errors.New("broker: queue full")
)

// Destination prefixes the memory broker understands.
const (
	TopicPrefix = "/topic/"
	QueuePrefix = "/queue/"
)

// PrivateMark separates a destination from the session it belongs to in a
// private (user) destination, e.g. "/queue/reply@SESSIONID". Pattern
// subscriptions never match private destinations, and clients cannot name
// them directly.
const PrivateMark = "@"

// IsPrivate reports whether d is a session's private destination.
func IsPrivate(d string) bool { return strings.Contains(d, PrivateMark) }

// MaxDestinationLen is the longest destination ValidDestination accepts.
const MaxDestinationLen = 1024

// ValidDestination reports whether d is a destination the broker routes:
// /topic/... or /queue/... with a non-empty name, no longer than
// MaxDestinationLen, and free of control characters and of the pattern
// characters * { }.
func ValidDestination(d string) bool {
	if len(d) > MaxDestinationLen {
		return false
	}
	if !(strings.HasPrefix(d, TopicPrefix) && len(d) > len(TopicPrefix)) &&
		!(strings.HasPrefix(d, QueuePrefix) && len(d) > len(QueuePrefix)) {
		return false
	}
	for i := 0; i < len(d); i++ {
		switch c := d[i]; {
		case c < 0x20, c == 0x7f, c == '*', c == '{', c == '}':
			return false
		}
	}
	return true
}
