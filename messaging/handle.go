package messaging

import (
	"context"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/pattern"
	"github.com/stompbox/stompbox/server"
)

// An Option changes where a handler's result goes.
type Option func(*options)

type options struct {
	sendTo    string
	toUser    string
	broadcast bool
}

// SendTo publishes the handler's result to destination, like Spring's
// @SendTo. The destination may use the handler's variables:
// SendTo("/topic/rooms.{room}").
func SendTo(destination string) Option {
	return func(o *options) { o.sendTo, o.toUser = destination, "" }
}

// SendToUser sends the handler's result to the sending user's
// destination, like Spring's @SendToUser: SendToUser("/queue/reply")
// reaches every session of the user subscribed to /user/queue/reply, or
// with Broadcast(false) only the session that sent the message.
func SendToUser(destination string, opts ...UserOption) Option {
	return func(o *options) {
		o.toUser, o.sendTo, o.broadcast = destination, "", true
		for _, opt := range opts {
			opt(o)
		}
	}
}

// A UserOption refines SendToUser.
type UserOption func(*options)

// Broadcast(false) limits SendToUser to the session that sent the
// message; the default, true, reaches all of the user's sessions.
func Broadcast(all bool) UserOption {
	return func(o *options) { o.broadcast = all }
}

// Handle registers fn for the application destination path (without the
// prefix: "/hello" serves SENDs to "/app/hello"), like Spring's
// @MessageMapping. path may be a pattern ("/rooms/{room}/chat", "/a/*",
// "/a/**"); the handler reads its variables with Var. Literal paths are
// matched first, then patterns in the order registered. Handle panics if
// path is registered twice or is not a valid pattern: both are programming
// errors.
//
// The body is decoded into In (JSON; []byte and string as they are). The
// result goes to SendTo's or SendToUser's destination, by default to
// "/topic" + path. A handler error goes to the sender as described at
// Error; a decoding failure or Reject ends the session with an ERROR.
func Handle[In, Out any](r *Router, path string, fn func(ctx context.Context, in In) (Out, error), opts ...Option) {
	o := options{sendTo: "/topic" + path}
	for _, opt := range opts {
		opt(&o)
	}
	if pattern.HasWildcard(path) && o.sendTo == "/topic"+path {
		o.sendTo = "" // no default destination for a pattern: say where
	}
	r.sends.add(path, func(ctx context.Context, m *broker.Message) (*broker.Message, error) {
		var in In
		if err := decode(m.Body, &in); err != nil {
			return nil, &BadMessageError{Destination: m.Destination, Err: &decodeError{err}}
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		return nil, r.reply(ctx, o, out)
	})
}

// Subscribe registers fn to answer SUBSCRIBEs to the application
// destination path, like Spring's @SubscribeMapping: its result goes to
// that subscriber alone, once (an initial state, a history), and the
// broker never sees the subscription. path may be a pattern.
func Subscribe[Out any](r *Router, path string, fn func(ctx context.Context) (Out, error)) {
	r.subs.add(path, func(ctx context.Context, m *broker.Message) (*broker.Message, error) {
		out, err := fn(ctx)
		if err != nil {
			return nil, err
		}
		body, ct, err := encode(out)
		if err != nil {
			return nil, err
		}
		return broker.NewMessage(m.Destination, header(ct, nil), body), nil
	})
}

// reply sends a handler's result where its options say.
func (r *Router) reply(ctx context.Context, o options, out any) error {
	vars, _ := ctx.Value(varsKey{}).([]string)
	if o.toUser != "" {
		dest, err := pattern.Expand(o.toUser, vars)
		if err != nil {
			return err
		}
		s, ok := server.SessionFrom(ctx)
		if !ok {
			return nil // not from a STOMP session: nobody to answer
		}
		if !o.broadcast || s.User == "" {
			return r.publishToSession(ctx, s.ID, dest, out, nil)
		}
		return r.PublishToUser(ctx, s.User, dest, out)
	}
	if o.sendTo == "" {
		return nil
	}
	dest, err := pattern.Expand(o.sendTo, vars)
	if err != nil {
		return err
	}
	return r.Publish(ctx, dest, out)
}
