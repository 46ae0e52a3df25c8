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
// goroutine (with the destination's lock held) and must not block or call
// the broker. It reports whether it took m: a queue message a subscriber
// refuses (it is closing, or its budget is spent) is offered to the next
// subscriber, or kept by the queue until one has room; a refused topic
// message is that subscriber's loss.
type Subscriber interface {
	Deliver(s *Subscription, m *Message) bool
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

// A Requeuer takes back queue messages that a subscriber did not
// acknowledge (NACK, or its session ended), oldest first, and gives them
// to other subscribers ahead of newer messages, in the same order.
// Brokers that redeliver by themselves need not implement it.
type Requeuer interface {
	Requeue(ctx context.Context, from *Subscription, ms []*Message) error
}

// A Resumer is a broker that stops offering queue messages to a
// subscriber once it refuses one, until the subscriber calls Resume to say
// it has room again (after an ACK, or once its backlog is written).
type Resumer interface {
	Resume(s *Subscription)
}

// An Upstream settles a queue message with the broker it came from. The
// server calls Ack once the message is done with: its client ACKed it, or
// it was written to an ack:auto subscriber. A message given back instead
// (NACK, or its session ended) goes to the broker's Requeue, which
// returns it upstream. Ack is called at most once and must not block for
// long.
type Upstream interface {
	Ack()
}

// A Batcher publishes several messages as one: either every message is
// routed, or none is and the error says why (a transaction's COMMIT).
type Batcher interface {
	PublishAll(ctx context.Context, ms []*Message) error
}

// A UserRouter carries messages for users between the nodes of a
// cluster. The server calls Online when a user's first session on this
// node connects and Offline when its last one leaves, sends what is
// addressed to a user (m.Destination is the user destination, /queue/reply)
// with PublishUser, and delivers to its own sessions what OnUser's
// handler is given, on every node where the user is online (this one
// included). PublishUser reports whether any node had the user online.
// Brokers of one node need not implement it.
type UserRouter interface {
	Online(user string)
	Offline(user string)
	PublishUser(ctx context.Context, user string, m *Message) (reached bool, err error)
	OnUser(deliver func(user string, m *Message))
}

// Errors. Those for a spent budget name it.
var (
	ErrBadDestination      = errors.New("broker: invalid destination")
	ErrQueueFull           = errors.New("broker: queue full")
	ErrTooManyDestinations = errors.New("broker: too many destinations")
	ErrTooManyPatterns     = errors.New("broker: too many pattern subscriptions")
	// ErrUnavailable is a broker that cannot route now (a message broker
	// it relies on is unreachable); the message was not taken.
	ErrUnavailable = errors.New("broker: unavailable")
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
