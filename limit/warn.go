package limit

import (
	"log/slog"
	"sync"
	"time"
)

// A Warner logs warnings at most once per Every for each message, and says
// how many it held back in between. A nil *Warner logs nothing. Make one
// with NewWarner.
type Warner struct {
	log   *slog.Logger
	every time.Duration

	mu   sync.Mutex
	last map[string]*warnState
}

type warnState struct {
	at      time.Time
	dropped int
}

// NewWarner returns a Warner logging to log (nil: slog.Default()) at most
// once per every (0: one second) for each distinct message.
func NewWarner(log *slog.Logger, every time.Duration) *Warner {
	if log == nil {
		log = slog.Default()
	}
	if every <= 0 {
		every = time.Second
	}
	return &Warner{log: log, every: every, last: make(map[string]*warnState)}
}

// maxMessages bounds the distinct messages a Warner remembers; messages
// are constants in the code, so this is only a guard.
const maxMessages = 256

// Warn logs msg with args at warn level, unless msg was logged less than
// Every ago; then it only counts it, and the next one logged carries
// "suppressed" with that count.
func (w *Warner) Warn(msg string, args ...any) {
	if w == nil {
		return
	}
	now := time.Now()
	w.mu.Lock()
	st := w.last[msg]
	if st == nil {
		if len(w.last) >= maxMessages {
			clear(w.last)
		}
		st = &warnState{}
		w.last[msg] = st
	} else if now.Sub(st.at) < w.every {
		st.dropped++
		w.mu.Unlock()
		return
	}
	dropped := st.dropped
	st.at, st.dropped = now, 0
	w.mu.Unlock()
	if dropped > 0 {
		args = append(args, "suppressed", dropped)
	}
	w.log.Warn(msg, args...)
}
