package hostile

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/internal/stomptest"
)

func connectTCP(t *testing.T, s *server) *stomptest.Conn {
	t.Helper()
	c := stomptest.DialTCP(t, s.stomp)
	c.Connect()
	return c
}

// Filling queues past the broker's byte budgets: each SEND past one gets
// an ERROR naming it instead of a receipt, memory stays under the budget,
// and every receipted message is then consumed.
func TestHostileQueueFill(t *testing.T) {
	s := start(t, "-max-broker-bytes", "268435456", "-max-queue-bytes", "67108864")
	attack(t, s, 32<<20, func() string {
		body := strings.Repeat("q", 1<<20)
		receipted := map[string]int{}
		full := map[string]bool{}
		for q := 0; q < 6; q++ {
			dest := fmt.Sprint("/queue/fill-", q)
			pub := connectTCP(t, s)
			for i := 0; ; i++ {
				pub.SendText(dest, body, "receipt", strconv.Itoa(i))
				f, err := pub.Read()
				if err != nil {
					t.Fatalf("%s: %v", dest, err)
				}
				if f.Command == frame.ERROR {
					if f.Header.Get("message") != "queue full" {
						t.Fatalf("ERROR %q %q", f.Header, f.Body)
					}
					full[string(f.Body)[strings.LastIndex(string(f.Body), "(")+1:strings.LastIndex(string(f.Body), ")")]] = true
					break
				}
				receipted[dest]++
			}
			pub.Raw().Close()
		}
		if !full["MaxQueueBytes"] || !full["MaxBytes"] {
			t.Errorf("budgets named in the ERRORs: %v, want MaxQueueBytes and MaxBytes", full)
		}
		if rss := s.sample(t).RSS; rss > 600<<20 {
			t.Errorf("RSS %d MB with 256 MB of queues", rss>>20)
		}
		total, got := 0, 0
		for dest, n := range receipted {
			total += n
			c := connectTCP(t, s)
			c.Send(frame.New(frame.SUBSCRIBE, "id", "d", "destination", dest))
			for range n {
				if m := c.Expect(frame.MESSAGE); len(m.Body) != len(body) {
					t.Fatalf("%s: body of %d bytes", dest, len(m.Body))
				}
				got++
			}
			c.Raw().Close()
		}
		if got != total {
			t.Errorf("%d receipted, %d consumed", total, got)
		}
		return fmt.Sprintf("%d x 1 MiB receipted, all %d consumed; refusals named %v", total, got, keys(full))
	})
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// publishSeq sends n receipted messages numbered in a seq header.
func publishSeq(t *testing.T, s *server, dest string, n, size int) {
	t.Helper()
	pub := connectTCP(t, s)
	defer pub.Raw().Close()
	pad := strings.Repeat("d", size)
	for i := range n {
		pub.SendText(dest, pad, "seq", strconv.Itoa(i), "receipt", "r")
		pub.Expect(frame.RECEIPT)
	}
}

// A queue far deeper than a session's queue budget drains without loss and
// in order: through one ack:auto consumer, through two competing
// client-individual ones, and through a client-individual one that dies
// half-way and another that takes over.
func TestHostileDeepQueue(t *testing.T) {
	// Budgets big enough for the backlog at any HOSTILE_SCALE: this case is
	// about draining, not refusing.
	s := start(t, "-max-held", "10000000", "-max-queue-bytes", "4294967296", "-max-broker-bytes", "8589934592")
	n := 20000 * scale
	attack(t, s, 32<<20, func() string {
		publishSeq(t, s, "/queue/deep-auto", n, 1024)
		c := connectTCP(t, s)
		c.Send(frame.New(frame.SUBSCRIBE, "id", "a", "destination", "/queue/deep-auto"))
		for i := range n {
			if got := c.Expect(frame.MESSAGE).Header.Get("seq"); got != strconv.Itoa(i) {
				t.Fatalf("auto: message %d has seq %s", i, got)
			}
		}
		c.Raw().Close()

		publishSeq(t, s, "/queue/deep-ci", n, 1024)
		seen := make([]bool, n)
		cs := []*stomptest.Conn{connectTCP(t, s), connectTCP(t, s)}
		last := []int{-1, -1}
		for _, c := range cs {
			c.Send(frame.New(frame.SUBSCRIBE, "id", "c", "destination", "/queue/deep-ci", "ack", "client-individual"))
		}
		for got := 0; got < n; {
			for i, c := range cs {
				c.Raw().SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				for {
					f, err := c.Read()
					if err != nil {
						break
					}
					seq, _ := strconv.Atoi(f.Header.Get("seq"))
					if seq <= last[i] || seen[seq] {
						t.Fatalf("client-individual: consumer %d got %d after %d", i, seq, last[i])
					}
					last[i], seen[seq] = seq, true
					got++
					c.Send(frame.New(frame.ACK, "id", f.Header.Get("ack")))
				}
			}
		}

		publishSeq(t, s, "/queue/deep-cut", n, 1024)
		dying := connectTCP(t, s)
		dying.Send(frame.New(frame.SUBSCRIBE, "id", "x", "destination", "/queue/deep-cut", "ack", "client-individual"))
		have := map[string]bool{}
		for range n / 2 {
			m := dying.Expect(frame.MESSAGE)
			have[m.Header.Get("seq")] = true
			dying.Send(frame.New(frame.ACK, "id", m.Header.Get("ack")))
		}
		// Abruptly, with up to its prefetch in flight. (An ack:auto consumer
		// would lose what its socket held unread: auto means consumed once
		// written, see docs/guarantees.md.)
		dying.Raw().Close()
		heir := connectTCP(t, s)
		heir.Send(frame.New(frame.SUBSCRIBE, "id", "h", "destination", "/queue/deep-cut"))
		dup := 0
		for len(have) < n {
			m := heir.Expect(frame.MESSAGE)
			seq := m.Header.Get("seq")
			if have[seq] {
				if m.Header.Get("redelivered") != "true" {
					t.Fatalf("seq %s twice, not marked redelivered", seq)
				}
				dup++
			}
			have[seq] = true
		}
		return fmt.Sprintf("3 x %d messages of 1 KiB: auto in order; 2 client-individual consumers in order, union complete; cut consumer: 0 lost, %d redelivered twice", n, dup)
	})
}

// A consumer that never reads nor ACKs holds only its prefetch; a healthy
// one gets everything else, then the stuck one's share once it goes. The
// server starts no goroutine per message meanwhile.
func TestHostileStuckQueueConsumer(t *testing.T) {
	s := start(t, "-max-held", "10000000")
	n := 5000 * scale
	attack(t, s, 16<<20, func() string {
		stuck := connectTCP(t, s)
		stuck.Subscribe("s", "/queue/stuck", "ack", "client-individual")
		base := s.sample(t).Goroutines
		stop := s.watch(t)
		publishSeq(t, s, "/queue/stuck", n, 256)
		healthy := connectTCP(t, s)
		healthy.Send(frame.New(frame.SUBSCRIBE, "id", "h", "destination", "/queue/stuck"))
		seen := map[string]bool{}
		for len(seen) < n-100 {
			seen[healthy.Expect(frame.MESSAGE).Header.Get("seq")] = true
		}
		healthy.ExpectNothing(100 * time.Millisecond) // the stuck one's 100 (its prefetch)
		stuck.Raw().Close()
		for len(seen) < n {
			m := healthy.Expect(frame.MESSAGE)
			if m.Header.Get("redelivered") != "true" {
				t.Fatalf("the stuck consumer's message is not marked redelivered: %q", m.Header)
			}
			seen[m.Header.Get("seq")] = true
		}
		peak := stop()
		if peak.Goroutines > base+50 {
			t.Errorf("goroutines rose from %d to %d", base, peak.Goroutines)
		}
		return fmt.Sprintf("%d messages: stuck consumer held 100 (prefetch), healthy got %d, then 100 redelivered; goroutines peaked at %d (base %d)", n, n-100, peak.Goroutines, base)
	})
}

// Subscribers that never read are cut off as slow consumers, one by one;
// a healthy subscriber and the bystander get everything.
func TestHostileSlowTopicConsumers(t *testing.T) {
	s := start(t)
	slow := 50
	msgs := 1000 * scale
	attack(t, s, 32<<20, func() string {
		var slows []*stomptest.Conn
		for i := range slow {
			c := connectTCP(t, s)
			c.Subscribe(strconv.Itoa(i), "/topic/flood")
			slows = append(slows, c)
		}
		healthy := connectTCP(t, s)
		healthy.Subscribe("h", "/topic/flood")
		got := make(chan int)
		go func() {
			n := 0
			for n < msgs {
				f, err := healthy.Read()
				if err != nil {
					break
				}
				if f.Command == frame.MESSAGE {
					n++
				}
			}
			got <- n
		}()
		before := counter(s.vars(t), "stomp", "SlowConsumers")
		pub := connectTCP(t, s)
		body := strings.Repeat("f", 64<<10)
		for i := range msgs {
			pub.SendText("/topic/flood", body, "receipt", strconv.Itoa(i))
			pub.Expect(frame.RECEIPT)
		}
		if n := <-got; n != msgs {
			t.Errorf("the healthy subscriber got %d of %d", n, msgs)
		}
		v := s.vars(t)
		cut := counter(v, "stomp", "SlowConsumers") - before
		if cut != float64(slow) {
			t.Errorf("%v slow consumers cut, want %d", cut, slow)
		}
		for _, c := range slows {
			c.Raw().Close()
		}
		return fmt.Sprintf("%d x 64 KiB to 51 subscribers: %v cut as slow, %v topic messages dropped (counted), healthy got all", msgs, cut, counter(v, "stomp", "TopicDropped"))
	})
}
