package limit

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// A Bucket is a token bucket: it holds up to burst tokens, refilled at
// rate a second, and Take spends one if there is one. The zero value is
// full. Not safe for concurrent use: guard it with its owner's lock.
type Bucket struct {
	tokens float64
	last   time.Time
}

// Take spends a token at now, refilling first; false means over the rate.
func (b *Bucket) Take(now time.Time, rate float64, burst int) bool {
	b.refill(now, rate, burst)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func (b *Bucket) refill(now time.Time, rate float64, burst int) {
	if b.last.IsZero() {
		b.tokens = float64(burst)
	} else if d := now.Sub(b.last); d > 0 {
		b.tokens = min(float64(burst), b.tokens+d.Seconds()*rate)
	}
	b.last = now
}

// full reports whether b is back to its burst at now: forgetting it then
// changes nothing.
func (b *Bucket) full(now time.Time, rate float64, burst int) bool {
	b.refill(now, rate, burst)
	return b.tokens >= float64(burst)
}

// A Rate limits events per key (a client address, a name): a burst of
// Burst, then Rate a second. It holds at most MaxKeys buckets; when that
// many are in use it forgets the full ones, and if none is full it refuses
// newcomers (fail closed) rather than grow. Safe for concurrent use.
type Rate struct {
	Rate    float64 // tokens a second
	Burst   int     // tokens at most
	MaxKeys int     // buckets held at most; default 100000

	mu      sync.Mutex
	buckets map[string]*Bucket
}

// Allow spends a token of key's bucket at now.
func (r *Rate) Allow(key string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.buckets[key]
	if b == nil {
		max := r.MaxKeys
		if max <= 0 {
			max = 100000
		}
		if len(r.buckets) >= max {
			for k, b := range r.buckets {
				if b.full(now, r.Rate, r.Burst) {
					delete(r.buckets, k)
				}
			}
			if len(r.buckets) >= max {
				return false
			}
		}
		if r.buckets == nil {
			r.buckets = make(map[string]*Bucket)
		}
		b = &Bucket{}
		r.buckets[key] = b
	}
	return b.Take(now, r.Rate, r.Burst)
}

// AddrKey is the budget key of a client address ("host:port"): its IP,
// IPv6 reduced to its /64, as the connection budgets count it.
func AddrKey(remote string) string {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return clientIP(net.TCPAddrFromAddrPort(ap)).String()
	}
	return remote
}
