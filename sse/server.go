package sse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/limit"
)

// A Server is the Server-Sent Events endpoint: an http.Handler streaming
// the messages of the destinations a request names. Make one with New.
type Server struct {
	cfg Config
	log *slog.Logger
	hub *hub

	warn *limit.Warner // requests refused for a budget, at most one warning a second each
}

var _ http.Handler = (*Server)(nil)

// New returns a Server configured by cfg. It panics if cfg.Broker is nil.
func New(cfg Config) *Server {
	if cfg.Broker == nil {
		panic("sse: Config.Broker is nil")
	}
	cfg.setDefaults()
	return &Server{cfg: cfg, log: cfg.Logger, hub: newHub(&cfg),
		warn: limit.NewWarner(cfg.Logger, time.Second),
	}
}

// clientError is an error whose ClientError text may be shown to the
// client, as in package server.
type clientError interface {
	error
	ClientError() string
}

// ServeHTTP implements http.Handler: a GET with one or more destination
// parameters gets an event stream of their messages.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		refuse(w, http.StatusMethodNotAllowed, "sse: only GET opens an event stream")
		return
	}
	dests, msg := s.destinations(r)
	if msg != "" {
		refuse(w, http.StatusBadRequest, msg)
		return
	}
	user := ""
	if auth := s.cfg.Authenticate; auth != nil {
		var err error
		if user, err = auth(r); err != nil {
			s.log.Info("sse: authentication failed", "remote", r.RemoteAddr, "err", err)
			refuse(w, http.StatusUnauthorized, "sse: authentication failed"+shown(err))
			return
		}
	}
	if authz := s.cfg.Authorize; authz != nil {
		for _, d := range dests {
			if err := authz(r.Context(), user, d); err != nil {
				s.log.Info("sse: listen denied", "remote", r.RemoteAddr, "user", user, "dest", d, "err", err)
				refuse(w, http.StatusForbidden, "sse: not allowed to listen to "+strconv.Quote(d)+shown(err))
				return
			}
		}
	}

	h := s.hub
	if err := h.enterStream(); err != nil {
		if err == h.errStreams {
			s.warn.Warn("sse: stream refused (MaxStreams)", "remote", r.RemoteAddr, "err", err)
			w.Header().Set("Retry-After", retryAfter)
			refuse(w, http.StatusServiceUnavailable, err.Error())
			return
		}
		refuse(w, http.StatusServiceUnavailable, "sse: server is shutting down")
		return
	}
	defer h.leaveStream()
	topics, err := h.acquire(r.Context(), dests)
	if err != nil {
		if err == h.errTopics {
			s.warn.Warn("sse: stream refused (MaxTopics)", "remote", r.RemoteAddr, "err", err)
			w.Header().Set("Retry-After", retryAfter)
			refuse(w, http.StatusServiceUnavailable, err.Error())
			return
		}
		if !errors.Is(err, errClosed) && r.Context().Err() == nil {
			s.log.Warn("sse: subscribe failed", "remote", r.RemoteAddr, "err", err)
		}
		refuse(w, http.StatusServiceUnavailable, "sse: cannot listen now; try again later")
		return
	}
	rc := http.NewResponseController(w)
	st := newStream(topics, rc)
	lastID, resume := lastEventID(r, s.cfg.MaxLastEventID)
	if !h.attach(st, lastID, resume) {
		h.release(topics)
		refuse(w, http.StatusServiceUnavailable, "sse: server is shutting down")
		return
	}
	defer h.detach(st)

	// A stream outlives any read timeout the http.Server has.
	if err := rc.SetReadDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.log.Debug("sse: clear read deadline", "err", err)
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/event-stream")
	hd.Set("Cache-Control", "no-cache")
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	s.log.Debug("sse: stream opened", "remote", r.RemoteAddr, "user", user, "dest", dests, "resume", resume)
	wr := &writer{h: h, st: st, w: w, rc: rc, timeout: s.cfg.WriteTimeout,
		maxID: s.cfg.MaxLastEventID, maxReplay: s.cfg.MaxReplay, warn: s.warn}
	err = wr.run(r.Context(), s.cfg.KeepAlive)
	switch {
	case errors.Is(err, errSlow):
		h.slow.Add(1)
		s.log.Info("sse: slow consumer cut off", "remote", r.RemoteAddr, "user", user, "dest", dests)
		rc.SetWriteDeadline(time.Now()) // drop the connection: it would not take the rest
	case err != nil:
		s.log.Debug("sse: stream write failed", "remote", r.RemoteAddr, "err", err)
	default:
		// Room for net/http to end the response cleanly.
		rc.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		s.log.Debug("sse: stream closed", "remote", r.RemoteAddr)
	}
}

// destinations returns the request's destination parameters, duplicates
// folded, or why they are refused.
func (s *Server) destinations(r *http.Request) ([]string, string) {
	var dests []string
	for _, d := range r.URL.Query()["destination"] {
		if slices.Contains(dests, d) {
			continue
		}
		if !broker.ValidDestination(d) {
			return nil, fmt.Sprintf("sse: invalid destination %q: destinations start with %s, have a name, at most %d bytes and no control characters",
				frame.Truncate(d), broker.TopicPrefix, broker.MaxDestinationLen)
		}
		if strings.HasPrefix(d, broker.QueuePrefix) {
			return nil, fmt.Sprintf("sse: cannot listen to %q: a /queue/ message goes to one consumer, and an event stream cannot acknowledge it; use a /topic/ destination", frame.Truncate(d))
		}
		if broker.IsPrivate(d) {
			return nil, fmt.Sprintf("sse: cannot listen to %q: destinations holding %q are private to a STOMP session", frame.Truncate(d), broker.PrivateMark)
		}
		if len(dests) == s.cfg.MaxDestinations {
			return nil, fmt.Sprintf("sse: too many destinations: at most %d per request", s.cfg.MaxDestinations)
		}
		dests = append(dests, d)
	}
	if len(dests) == 0 {
		return nil, "sse: no destination: ask for one or more, e.g. ?destination=/topic/news"
	}
	return dests, ""
}

// lastEventID returns the request's Last-Event-ID header and whether it
// has one that is not empty (EventSource sends none before its first id).
// An id longer than max is returned as "": it is malformed, and not worth
// quoting back once per destination.
func lastEventID(r *http.Request, max int) (string, bool) {
	id := r.Header.Get("Last-Event-ID")
	if len(id) > max {
		return "", true
	}
	return id, id != ""
}

// shown is ": " and err's ClientError text, or "" if err has none.
func shown(err error) string {
	var ce clientError
	if errors.As(err, &ce) {
		return ": " + ce.ClientError()
	}
	return ""
}

// retryAfter is the Retry-After, in seconds, of a request refused for a
// limit.
const retryAfter = "5"

// refuse answers a request that gets no stream.
func refuse(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}

// Shutdown ends every stream and drops every broker subscription, then
// waits until the streams' handlers have returned, or ctx ends. Requests
// after it get 503. Call it before, or with, http.Server.Shutdown: that
// one waits for connections to go idle, which an open stream never does.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.hub.shutdown(ctx)
}
