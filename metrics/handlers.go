package metrics

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stompbox/stompbox/messaging"
)

// Handlers times the messaging layer's handlers as
// stompbox_handler_duration_seconds, by command (SEND or SUBSCRIBE), the
// path the handler was registered with (a pattern such as
// /rooms/{room}/chat, never the destination a client wrote) and outcome:
//
//   - ok: the handler succeeded;
//   - app_error: it returned a messaging.Error, sent to the client's
//     /user/queue/errors;
//   - rejected: the message was refused with an ERROR frame (a body that
//     did not decode, or messaging.Reject);
//   - error: any other failure.
//
// Pass its Observe as messaging.Config.OnHandled and register it.
type Handlers struct {
	hist  *prometheus.HistogramVec
	cache sync.Map // handlerKey -> prometheus.Observer, so an observation takes no lock
}

var _ prometheus.Collector = (*Handlers)(nil)

type handlerKey struct{ command, path, outcome string }

// LatencyBuckets are the histogram buckets, in seconds, of the handler and
// history store durations: from 100µs (a handler that only publishes) to
// 10s (a store that is stuck).
var LatencyBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// NewHandlers returns an empty handler histogram.
func NewHandlers() *Handlers {
	return &Handlers{hist: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "handler", Name: "duration_seconds",
		Help:    "Time the messaging layer's handlers took (decoding, the handler, sending its result), by command, registered path and outcome.",
		Buckets: LatencyBuckets,
	}, []string{"command", "path", "outcome"})}
}

// Observe records one handler call. It is a messaging.HandledHandler.
func (h *Handlers) Observe(c messaging.Handled) {
	k := handlerKey{c.Command, c.Path, handlerOutcome(c.Err)}
	o, ok := h.cache.Load(k)
	if !ok {
		o, _ = h.cache.LoadOrStore(k, h.hist.WithLabelValues(k.command, k.path, k.outcome))
	}
	o.(prometheus.Observer).Observe(c.Duration.Seconds())
}

func handlerOutcome(err error) string {
	var bad *messaging.BadMessageError
	var app *messaging.Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &bad):
		return "rejected"
	case errors.As(err, &app):
		return "app_error"
	}
	return "error"
}

// Describe implements prometheus.Collector.
func (h *Handlers) Describe(ch chan<- *prometheus.Desc) { h.hist.Describe(ch) }

// Collect implements prometheus.Collector.
func (h *Handlers) Collect(ch chan<- prometheus.Metric) { h.hist.Collect(ch) }
