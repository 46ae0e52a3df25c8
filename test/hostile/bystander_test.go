package hostile

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/internal/stomptest"
)

// A bystander is two STOMP-over-WebSocket clients chatting on
// /topic/bystander, one message every 20 ms, all through an attack: it
// must lose nothing and keep its latency sane.
type bystander struct {
	pub, sub *stomptest.Conn
	sent     atomic.Int64
	stop     chan struct{}
	sendDone chan struct{} // closed when the sender has sent its last
	done     sync.WaitGroup

	mu   sync.Mutex
	lat  []time.Duration
	got  int64
	errs []error
}

func dialBystander(t *testing.T, s *server) *stomptest.Conn {
	t.Helper()
	c, err := stomptest.TryDialWS(s.wsURL(), "", "v12.stomp")
	if err != nil {
		t.Fatalf("bystander: %v", err)
	}
	t.Cleanup(func() { c.Raw().Close() })
	connect := frame.New(frame.CONNECT, "accept-version", "1.2", "host", "/", "login", "bystander")
	if err := c.WriteMessage(ws.OpText, frame.AppendFrame(nil, connect, frame.V1_2)); err != nil {
		t.Fatalf("bystander: %v", err)
	}
	if f, err := c.Read(); err != nil || f.Command != frame.CONNECTED {
		t.Fatalf("bystander CONNECT: %v %v", f, err)
	}
	return c
}

func startBystander(t *testing.T, s *server) *bystander {
	t.Helper()
	b := &bystander{pub: dialBystander(t, s), sub: dialBystander(t, s), stop: make(chan struct{}), sendDone: make(chan struct{})}
	sub := frame.New(frame.SUBSCRIBE, "id", "b", "destination", "/topic/bystander", "receipt", "r")
	if err := b.sub.WriteMessage(ws.OpText, frame.AppendFrame(nil, sub, frame.V1_2)); err != nil {
		t.Fatal(err)
	}
	if f, err := b.sub.Read(); err != nil || f.Command != frame.RECEIPT {
		t.Fatalf("bystander SUBSCRIBE: %v %v", f, err)
	}
	b.done.Add(2)
	go b.read()
	go b.send()
	return b
}

func (b *bystander) fail(err error) {
	b.mu.Lock()
	b.errs = append(b.errs, err)
	b.mu.Unlock()
}

func (b *bystander) send() {
	defer b.done.Done()
	defer close(b.sendDone)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-tick.C:
		}
		f := frame.New(frame.SEND, "destination", "/topic/bystander")
		f.Body = strconv.AppendInt(nil, time.Now().UnixNano(), 10)
		if err := b.pub.WriteMessage(ws.OpText, frame.AppendFrame(nil, f, frame.V1_2)); err != nil {
			b.fail(fmt.Errorf("send: %w", err))
			return
		}
		b.sent.Add(1)
	}
}

func (b *bystander) read() {
	defer b.done.Done()
	for {
		f, err := b.sub.Read()
		if err != nil {
			select {
			case <-b.stop:
			default:
				b.fail(fmt.Errorf("receive: %w", err))
			}
			return
		}
		if f.Command != frame.MESSAGE {
			b.fail(fmt.Errorf("receive: %s %q", f.Command, f.Body))
			return
		}
		ns, _ := strconv.ParseInt(string(f.Body), 10, 64)
		b.mu.Lock()
		b.lat = append(b.lat, time.Since(time.Unix(0, ns)))
		b.got++
		b.mu.Unlock()
	}
}

// result of a bystander over an attack.
type result struct {
	sent, lost int64
	p50, p99   time.Duration
}

// finish stops sending, waits for the last messages, and fails the test if
// any was lost or its p99 latency was over bound: a liveness check, not a
// speed test, since the attacker, the bystander and the server share the
// machine's two cores.
func (b *bystander) finish(t *testing.T, bound time.Duration) result {
	t.Helper()
	close(b.stop)
	<-b.sendDone // a message sent as it stopped is waited for too
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.mu.Lock()
		got := b.got
		b.mu.Unlock()
		if got >= b.sent.Load() || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.sub.Raw().SetReadDeadline(time.Now()) // end the reader
	b.done.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	r := result{sent: b.sent.Load(), lost: b.sent.Load() - b.got}
	if len(b.lat) > 0 {
		slices.Sort(b.lat)
		r.p50, r.p99 = b.lat[len(b.lat)/2], b.lat[len(b.lat)*99/100]
	}
	for _, err := range b.errs {
		t.Errorf("bystander: %v", err)
	}
	if r.sent == 0 || r.lost > 0 {
		t.Errorf("bystander sent %d and lost %d", r.sent, r.lost)
	}
	if r.p99 > bound {
		t.Errorf("bystander p99 latency %s", r.p99)
	}
	return r
}

// attack runs fn against s beside a bystander: it samples the server
// before, watches its peaks during, waits for it to settle after (within
// heapSlack of the baseline heap), and records a row of the report. The
// bystander's p99 latency must stay under a second.
func attack(t *testing.T, s *server, heapSlack int64, fn func() string) {
	t.Helper()
	attackWithin(t, s, heapSlack, func() time.Duration { return time.Second }, fn)
}

// attackWithin is attack with another bound on the bystander's p99,
// asked for once fn has run.
func attackWithin(t *testing.T, s *server, heapSlack int64, p99 func() time.Duration, fn func() string) {
	t.Helper()
	base := s.sample(t)
	stopWatch := s.watch(t)
	b := startBystander(t, s)
	outcome := fn()
	r := b.finish(t, p99())
	b.pub.Raw().Close()
	b.sub.Raw().Close()
	peak := stopWatch()
	after := s.settle(t, base, heapSlack)
	row := fmt.Sprintf("| %s | %d / %d / %d | %d / %d / %d | %d / %d / %d | %s / %s | %d / %d | %s |\n",
		t.Name(), base.RSS>>20, peak.RSS>>20, after.RSS>>20,
		base.Goroutines, peak.Goroutines, after.Goroutines, base.Fds, peak.Fds, after.Fds,
		r.p50.Round(10*time.Microsecond), r.p99.Round(10*time.Microsecond), r.sent, r.lost, outcome)
	t.Logf("hostile: %s", row)
	f, err := os.OpenFile(reportPath, os.O_APPEND|os.O_WRONLY, 0)
	if err == nil {
		f.WriteString(row)
		f.Close()
	}
}
