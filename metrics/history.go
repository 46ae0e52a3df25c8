package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stompbox/stompbox/history"
)

// A TimedStore is a history.Store that times every call of the store it
// wraps as stompbox_history_duration_seconds, by operation (append,
// messages, create_room, rooms, claim) and outcome: ok; refused (one of the
// store's documented answers: a budget such as history.ErrFull, or
// history.ErrNameTaken); error (anything else: the database, a context
// that ended, a closed store). Register it as a collector too.
type TimedStore struct {
	s    history.Store
	hist *prometheus.HistogramVec
	obs  [numOps][numOutcomes]prometheus.Observer
}

var (
	_ history.Store        = (*TimedStore)(nil)
	_ prometheus.Collector = (*TimedStore)(nil)
)

const (
	opAppend = iota
	opMessages
	opCreateRoom
	opRooms
	opClaim
	numOps
)

var opNames = [numOps]string{"append", "messages", "create_room", "rooms", "claim"}

const (
	outcomeOK = iota
	outcomeRefused
	outcomeError
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"ok", "refused", "error"}

// TimeStore returns s timed.
func TimeStore(s history.Store) *TimedStore {
	t := &TimedStore{s: s, hist: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Subsystem: "history", Name: "duration_seconds",
		Help:    "Time the chat history store's calls took, by operation and outcome.",
		Buckets: LatencyBuckets,
	}, []string{"op", "outcome"})}
	for op := range t.obs {
		for out := range t.obs[op] {
			t.obs[op][out] = t.hist.WithLabelValues(opNames[op], outcomeNames[out])
		}
	}
	return t
}

func (t *TimedStore) observe(op int, start time.Time, err error) {
	out := outcomeOK
	switch {
	case err == nil:
	case errors.Is(err, history.ErrFull), errors.Is(err, history.ErrTooManyRooms),
		errors.Is(err, history.ErrTooManyNames), errors.Is(err, history.ErrNameTaken),
		errors.Is(err, history.ErrNegativeLimit):
		out = outcomeRefused
	default:
		out = outcomeError
	}
	t.obs[op][out].Observe(time.Since(start).Seconds())
}

// Append implements history.Store.
func (t *TimedStore) Append(ctx context.Context, m history.Message) (history.Message, bool, error) {
	start := time.Now()
	stored, dup, err := t.s.Append(ctx, m)
	t.observe(opAppend, start, err)
	return stored, dup, err
}

// Messages implements history.Store.
func (t *TimedStore) Messages(ctx context.Context, room string, q history.Query) ([]history.Message, error) {
	start := time.Now()
	ms, err := t.s.Messages(ctx, room, q)
	t.observe(opMessages, start, err)
	return ms, err
}

// CreateRoom implements history.Store.
func (t *TimedStore) CreateRoom(ctx context.Context, name string, now int64) (history.Room, bool, error) {
	start := time.Now()
	r, created, err := t.s.CreateRoom(ctx, name, now)
	t.observe(opCreateRoom, start, err)
	return r, created, err
}

// Rooms implements history.Store.
func (t *TimedStore) Rooms(ctx context.Context) ([]history.Room, error) {
	start := time.Now()
	rs, err := t.s.Rooms(ctx)
	t.observe(opRooms, start, err)
	return rs, err
}

// Claim implements history.Store.
func (t *TimedStore) Claim(ctx context.Context, name string, secretHash []byte) error {
	start := time.Now()
	err := t.s.Claim(ctx, name, secretHash)
	t.observe(opClaim, start, err)
	return err
}

// Close implements history.Store; it is not timed.
func (t *TimedStore) Close() error { return t.s.Close() }

// Describe implements prometheus.Collector.
func (t *TimedStore) Describe(ch chan<- *prometheus.Desc) { t.hist.Describe(ch) }

// Collect implements prometheus.Collector.
func (t *TimedStore) Collect(ch chan<- prometheus.Metric) { t.hist.Collect(ch) }
