package sse

import (
	"log/slog"
	"sync"
	"time"
)

// A rateLog logs a warning at most once per interval, so that a flood of
// refused requests cannot flood the log; the next warning it logs says how
// many it suppressed meanwhile. The zero value needs log and every set.
type rateLog struct {
	log   *slog.Logger
	every time.Duration

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// Warn logs msg with args, unless a warning was logged less than every ago.
func (r *rateLog) Warn(msg string, args ...any) {
	now := time.Now()
	r.mu.Lock()
	if !r.last.IsZero() && now.Sub(r.last) < r.every {
		r.suppressed++
		r.mu.Unlock()
		return
	}
	n := r.suppressed
	r.last, r.suppressed = now, 0
	r.mu.Unlock()
	if n > 0 {
		args = append(args, "suppressed", n)
	}
	r.log.Warn(msg, args...)
}
