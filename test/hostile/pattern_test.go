package hostile

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/internal/stomptest"
)

// cpuTime is the server's user+system CPU time so far.
func (s *server) cpuTime(t *testing.T) time.Duration {
	t.Helper()
	d, err := s.CPU()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// publishRate publishes n messages to dest with one receipt at the end and
// returns messages per second.
func publishRate(t *testing.T, pub *stomptest.Conn, dest string, n int) float64 {
	t.Helper()
	start := time.Now()
	for i := range n {
		kv := []string{}
		if i == n-1 {
			kv = []string{"receipt", "end"}
		}
		pub.SendText(dest, "x", kv...)
	}
	pub.Expect(frame.RECEIPT)
	return float64(n) / time.Since(start).Seconds()
}

// Ten thousand pattern subscriptions do not slow down publishing to a
// topic none of them matches, and a client churning pattern subscriptions
// costs the server little CPU per churn.
func TestHostilePatternFlood(t *testing.T) {
	s := start(t)
	sessions, per := 40, 250
	attack(t, s, 64<<20, func() string {
		pub := connectTCP(t, s)
		sub := connectTCP(t, s)
		sub.Subscribe("perf", "/topic/perf")
		publishRate(t, pub, "/topic/perf", 2000) // warm up
		// The best of three runs each side: one run on this shared VM
		// varies by more than the factor the check allows.
		best := func() float64 {
			r := 0.0
			for range 3 {
				r = max(r, publishRate(t, pub, "/topic/perf", 20000))
			}
			return r
		}
		before := best()
		var holders []*stomptest.Conn
		defer func() {
			for _, c := range append(holders, pub, sub) {
				c.Raw().Close()
			}
		}()
		for i := range sessions {
			c := connectTCP(t, s)
			holders = append(holders, c)
			for j := range per {
				f := frame.New(frame.SUBSCRIBE, "id", strconv.Itoa(j), "destination", fmt.Sprintf("/topic/p.%d.%d.*", i, j))
				if j == per-1 {
					f.Header.Add("receipt", "done")
				}
				c.Send(f)
			}
			c.Expect(frame.RECEIPT)
		}
		if n := counter(s.vars(t), "broker", "Patterns"); n != float64(sessions*per) {
			t.Fatalf("%v pattern subscriptions, want %d", n, sessions*per)
		}
		after := best()
		if after < before/3 {
			t.Errorf("publishing fell from %.0f/s to %.0f/s with %d patterns", before, after, sessions*per)
		}
		churner := connectTCP(t, s)
		cpu0 := s.cpuTime(t)
		churns := 5000 * scale
		for i := range churns {
			churner.Send(frame.New(frame.SUBSCRIBE, "id", "c", "destination", fmt.Sprintf("/topic/churn.%d.*", i)))
			churner.Send(frame.New(frame.UNSUBSCRIBE, "id", "c"))
		}
		churner.Send(frame.New(frame.DISCONNECT, "receipt", "bye"))
		churner.Expect(frame.RECEIPT)
		perChurn := (s.cpuTime(t) - cpu0) / time.Duration(churns)
		if perChurn > 200*time.Microsecond {
			t.Errorf("%s of server CPU per subscribe+unsubscribe with %d patterns", perChurn, sessions*per)
		}
		return fmt.Sprintf("%d patterns: publish %.0f/s before, %.0f/s after; churn %s CPU per subscribe+unsubscribe", sessions*per, before, after, perChurn)
	})
}
