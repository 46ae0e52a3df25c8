package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/stompbox/stompbox/broker"
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
}

// A Router dispatches SEND frames to application destinations to the
// handlers registered with Handle. It implements server.Application.
type Router struct {
	prefix string
	log    *slog.Logger
	routes map[string]route
	Template
}

type route func(ctx context.Context, m *broker.Message) error

// NewRouter returns a Router with no handlers.
func NewRouter(cfg Config) *Router {
	if cfg.Prefix == "" {
		cfg.Prefix = "/app"
	}
	cfg.Prefix = strings.TrimSuffix(cfg.Prefix, "/")
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Router{prefix: cfg.Prefix, log: cfg.Logger, routes: make(map[string]route), Template: Template{Broker: cfg.Broker}}
}

// An Option changes how a handler's result is sent.
type Option func(*options)

type options struct {
	sendTo string
}

// SendTo publishes the handler's result to destination, like Spring's
// @SendTo.
func SendTo(destination string) Option {
	return func(o *options) { o.sendTo = destination }
}

// Handle registers fn for the application destination path (without the
// prefix: "/hello" serves SENDs to "/app/hello"), like Spring's
// @MessageMapping. It panics if path is already registered or does not
// start with "/", as http.ServeMux does: both are programming errors.
func Handle[In, Out any](r *Router, path string, fn func(ctx context.Context, in In) (Out, error), opts ...Option) {
	if !strings.HasPrefix(path, "/") {
		panic(fmt.Sprintf("messaging: path %q must start with /", path))
	}
	if _, dup := r.routes[path]; dup {
		panic(fmt.Sprintf("messaging: path %q registered twice", path))
	}
	o := options{sendTo: "/topic" + path}
	for _, opt := range opts {
		opt(&o)
	}
	r.routes[path] = func(ctx context.Context, m *broker.Message) error {
		var in In
		if err := decode(m.Body, &in); err != nil {
			return &BadMessageError{Destination: m.Destination, Err: err}
		}
		out, err := fn(ctx, in)
		if err != nil {
			return fmt.Errorf("messaging: handler for %s: %w", m.Destination, err)
		}
		return r.Publish(ctx, o.sendTo, out)
	}
}

// HandleSend implements server.Application: it claims destinations under
// the prefix and runs their handler.
func (r *Router) HandleSend(ctx context.Context, m *broker.Message) (bool, error) {
	path, ok := strings.CutPrefix(m.Destination, r.prefix)
	if !ok || !strings.HasPrefix(path, "/") {
		return false, nil
	}
	h := r.routes[path]
	if h == nil {
		return true, &BadMessageError{Destination: m.Destination, Err: ErrNoHandler}
	}
	return true, h(ctx, m)
}

// ErrNoHandler means no handler is registered for a destination.
var ErrNoHandler = errors.New("messaging: no handler for this destination")

// A BadMessageError is a message the application cannot take: no handler,
// or a body that does not decode. Its text is shown to the client.
type BadMessageError struct {
	Destination string
	Err         error
}

func (e *BadMessageError) Error() string {
	if errors.Is(e.Err, ErrNoHandler) {
		return "messaging: no handler for " + e.Destination
	}
	return fmt.Sprintf("messaging: decode body for %s: %v", e.Destination, e.Err)
}

func (e *BadMessageError) Unwrap() error { return e.Err }

// ClientError is what the client is told.
func (e *BadMessageError) ClientError() string {
	if errors.Is(e.Err, ErrNoHandler) {
		return "no handler for " + e.Destination
	}
	return "the body sent to " + e.Destination + " could not be decoded: " + e.Err.Error()
}
