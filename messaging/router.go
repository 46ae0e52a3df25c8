package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/pattern"
	"github.com/stompbox/stompbox/server"
)

// Config configures a Router.
type Config struct {
	// Broker receives handlers' results. Required.
	Broker broker.Broker
	// Prefix is the application destination prefix, Spring's
	// setApplicationDestinationPrefixes. Default: "/app".
	Prefix string
	// Logger receives structured logs. Default: slog.Default().
	Logger *slog.Logger
	// OnHandled, when set, is called after every handler call with what
	// it took, for metrics. It runs on the session's reader goroutine, so
	// it must be quick. Default: nil (handlers are not timed).
	OnHandled HandledHandler
}

// Handled describes one call of a handler, for Config.OnHandled.
type Handled struct {
	Command  string        // frame.SEND (Handle) or frame.SUBSCRIBE (Subscribe)
	Path     string        // the path the handler was registered with, a pattern as written: never the destination
	Duration time.Duration // decoding, the handler, and sending its result
	Err      error         // what the call returned, before it was sorted for the client
}

// A HandledHandler receives a Handled after each handler call.
type HandledHandler func(Handled)

// A Router dispatches SEND and SUBSCRIBE frames for application
// destinations to the handlers registered with Handle and Subscribe. It
// implements server.SubscribeApplication.
//
// Set its Users (the embedded Template's) to the server once it exists, so
// that SendToUser, PublishToUser and error replies reach users.
type Router struct {
	prefix    string
	log       *slog.Logger
	onHandled HandledHandler
	sends     routes
	subs      routes
	Template
}

var _ server.SubscribeApplication = (*Router)(nil)

// routes holds literal paths in a map and patterns in registration order.
type routes struct {
	exact    map[string]route
	patterns []patternRoute
}

type patternRoute struct {
	p    *pattern.Pattern
	path string
	h    route
}

type route func(ctx context.Context, m *broker.Message) (*broker.Message, error)

func (rs *routes) add(path string, h route) {
	if !strings.HasPrefix(path, "/") {
		panic(fmt.Sprintf("messaging: path %q must start with /", path))
	}
	if rs.exact == nil {
		rs.exact = make(map[string]route)
	}
	if !pattern.HasWildcard(path) {
		if _, dup := rs.exact[path]; dup {
			panic(fmt.Sprintf("messaging: path %q registered twice", path))
		}
		rs.exact[path] = h
		return
	}
	p, err := pattern.Parse(path)
	if err != nil {
		panic(fmt.Sprintf("messaging: %v", err))
	}
	for _, pr := range rs.patterns {
		if pr.p.String() == path {
			panic(fmt.Sprintf("messaging: path %q registered twice", path))
		}
	}
	rs.patterns = append(rs.patterns, patternRoute{p: p, path: path, h: h})
}

// find returns the handler for path, the path it was registered with and
// the variables it captured: a literal path first, then patterns in the
// order they were registered.
func (rs *routes) find(path string) (route, string, []string) {
	if h := rs.exact[path]; h != nil {
		return h, path, nil
	}
	if len(rs.patterns) == 0 {
		return nil, "", nil
	}
	segs, ok := pattern.Split(path) // once, not once a route
	if !ok {
		return nil, "", nil
	}
	for _, pr := range rs.patterns {
		if vars, ok := pr.p.MatchSplitVars(segs); ok {
			return pr.h, pr.path, vars
		}
	}
	return nil, "", nil
}

// call runs h, timing it when OnHandled is set.
func (r *Router) call(ctx context.Context, h route, command, registered string, m *broker.Message) (*broker.Message, error) {
	if r.onHandled == nil {
		return h(ctx, m)
	}
	start := time.Now()
	reply, err := h(ctx, m)
	r.onHandled(Handled{Command: command, Path: registered, Duration: time.Since(start), Err: err})
	return reply, err
}

// NewRouter returns a Router with no handlers.
func NewRouter(cfg Config) *Router {
	if cfg.Prefix == "" {
		cfg.Prefix = "/app"
	}
	cfg.Prefix = strings.TrimSuffix(cfg.Prefix, "/")
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Router{prefix: cfg.Prefix, log: cfg.Logger, onHandled: cfg.OnHandled, Template: Template{Broker: cfg.Broker}}
}

type varsKey struct{}

type headerKey struct{}

// withFrame gives a handler's context the variables its pattern captured
// and the headers of the frame it handles.
func withFrame(ctx context.Context, vars []string, h frame.Header) context.Context {
	return context.WithValue(context.WithValue(ctx, varsKey{}, vars), headerKey{}, h)
}

// Header returns a header of the frame a handler is handling: the SEND
// for Handle, the SUBSCRIBE for Subscribe (e.g. paging parameters), like
// Spring's @Header. The first occurrence wins; "" when absent.
func Header(ctx context.Context, key string) string {
	h, _ := ctx.Value(headerKey{}).(frame.Header)
	return h.Get(key)
}

// Var returns the value of a destination variable captured by the
// handler's pattern: with Handle(r, "/rooms/{room}/chat", ...), Var(ctx,
// "room") is "lobby" for a SEND to /app/rooms/lobby/chat.
func Var(ctx context.Context, name string) string {
	vars, _ := ctx.Value(varsKey{}).([]string)
	for i := 0; i+1 < len(vars); i += 2 {
		if vars[i] == name {
			return vars[i+1]
		}
	}
	return ""
}

// HandleSend implements server.Application: it claims destinations under
// the prefix and runs their handler.
func (r *Router) HandleSend(ctx context.Context, m *broker.Message) (bool, error) {
	path, ok := r.path(m.Destination)
	if !ok {
		return false, nil
	}
	h, registered, vars := r.sends.find(path)
	if h == nil {
		return true, &BadMessageError{Destination: m.Destination, Err: ErrNoHandler}
	}
	_, err := r.call(withFrame(ctx, vars, m.Header), h, frame.SEND, registered, m)
	return true, r.handlerError(ctx, m.Destination, err)
}

// HandleSubscribe implements server.SubscribeApplication.
func (r *Router) HandleSubscribe(ctx context.Context, dest string, hdr frame.Header) (bool, *broker.Message, error) {
	path, ok := r.path(dest)
	if !ok {
		return false, nil, nil
	}
	h, registered, vars := r.subs.find(path)
	if h == nil {
		return true, nil, &BadMessageError{Destination: dest, Err: ErrNoHandler}
	}
	reply, err := r.call(withFrame(ctx, vars, hdr), h, frame.SUBSCRIBE, registered, broker.NewMessage(dest, nil, nil))
	return true, reply, r.handlerError(ctx, dest, err)
}

func (r *Router) path(dest string) (string, bool) {
	path, ok := strings.CutPrefix(dest, r.prefix)
	return path, ok && strings.HasPrefix(path, "/")
}

// ErrorsDestination is where a handler's application errors go, as the
// user destination of the session that sent the message: subscribe to
// /user/queue/errors to see them.
const ErrorsDestination = "/queue/errors"

// ErrorReply is the JSON sent to /user/queue/errors for an application
// error.
type ErrorReply struct {
	Destination string `json:"destination"`
	Code        string `json:"code,omitempty"`
	Message     string `json:"message"`
}

// handlerError sorts a handler's error: a protocol error (the message
// itself was wrong) is returned and becomes an ERROR frame; an
// application error goes to the sender's /user/queue/errors as JSON, like
// Spring's @MessageExceptionHandler with @SendToUser, and the session goes
// on.
func (r *Router) handlerError(ctx context.Context, dest string, err error) error {
	if err == nil {
		return nil
	}
	var bad *BadMessageError
	if errors.As(err, &bad) {
		return err
	}
	reply := ErrorReply{Destination: dest, Message: "internal error"}
	var ae *Error
	if errors.As(err, &ae) {
		reply.Code, reply.Message = ae.Code, ae.Message
		// Debug: a client can cause these as fast as it can send.
		r.log.Debug("handler returned an application error", "dest", dest, "err", err)
	} else {
		r.log.Error("handler failed", "dest", dest, "err", err)
	}
	if s, ok := server.SessionFrom(ctx); ok && r.Users != nil {
		if perr := r.publishToSession(ctx, s.ID, ErrorsDestination, reply, nil); perr != nil {
			r.log.Error("could not send the error to the sender", "dest", dest, "err", perr)
		}
	}
	return nil
}

// An Error is an application error meant for the client: a handler that
// returns one has it sent, as an ErrorReply, to the sender's
// /user/queue/errors, and the session goes on, as in Spring (a SEND that
// asked for a receipt gets it: the message was handled). A handler whose
// refusal must not be receipted (a chat line that was not stored) checks
// server.ReceiptRequested and returns Reject instead. Any other error is sent there as "internal error",
// its text kept in the log.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return "messaging: " + e.Code + ": " + e.Message }

// Reject returns a protocol error: the message itself is unacceptable. The
// client gets an ERROR frame with this text and is disconnected, as STOMP
// requires.
func Reject(format string, args ...any) error {
	return &BadMessageError{Err: fmt.Errorf(format, args...)}
}

// ErrNoHandler means no handler is registered for a destination.
var ErrNoHandler = errors.New("messaging: no handler for this destination")

// A BadMessageError is a message the application cannot take: no handler,
// a body that does not decode, or a Reject. Its text is shown to the
// client in an ERROR frame.
type BadMessageError struct {
	Destination string
	Err         error
}

func (e *BadMessageError) Error() string {
	if errors.Is(e.Err, ErrNoHandler) {
		return "messaging: no handler for " + e.Destination
	}
	return fmt.Sprintf("messaging: %s: %v", e.Destination, e.Err)
}

func (e *BadMessageError) Unwrap() error { return e.Err }

// ClientError is what the client is told.
func (e *BadMessageError) ClientError() string {
	var de *decodeError
	switch {
	case errors.Is(e.Err, ErrNoHandler):
		return "no handler for " + e.Destination
	case errors.As(e.Err, &de):
		return "the body sent to " + e.Destination + " could not be decoded: " + de.err.Error()
	}
	return e.Err.Error()
}

type decodeError struct{ err error }

func (e *decodeError) Error() string { return "decode body: " + e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }
