package chat

import "time"

// A bucket is a token bucket: it holds up to burst tokens, refilled at
// rate a second, and take spends one if there is one. Not safe for
// concurrent use: each belongs to one session, under App.mu.
type bucket struct {
	tokens float64
	last   time.Time
}

// take spends a token at now, refilling first; false means over the rate.
func (b *bucket) take(now time.Time, rate float64, burst int) bool {
	if b.last.IsZero() {
		b.tokens = float64(burst)
	} else if d := now.Sub(b.last); d > 0 {
		b.tokens = min(float64(burst), b.tokens+d.Seconds()*rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
