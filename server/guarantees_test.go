package server_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/internal/stomptest"
	"github.com/stompbox/stompbox/server"
)

// publishQueue sends n receipted 1 KiB messages to dest, numbered in their
// seq header, and waits for the last receipt.
func publishQueue(t *testing.T, pub *stomptest.Conn, dest string, n int) {
	t.Helper()
	pad := strings.Repeat("x", 1000)
	for i := range n {
		kv := []string{"seq", strconv.Itoa(i)}
		if i == n-1 {
			kv = append(kv, "receipt", "last")
		}
		pub.SendText(dest, pad, kv...)
	}
	pub.Expect(frame.RECEIPT)
}

// A backlog many times a session's queue budget drains through one
// ack:auto consumer: nothing lost, in order, and the consumer is never cut
// off as slow, because the queue hands it only what it has room for.
func TestDeepQueueDrainsInOrder(t *testing.T) {
	e := start(t, server.Config{MaxQueuedBytes: 64 << 10})
	pub := stomptest.DialTCP(t, e.tcp)
	pub.Connect()
	const n = 3000 // ~3 MB against a 64 KiB budget
	publishQueue(t, pub, "/queue/deep", n)

	c := stomptest.DialTCP(t, e.tcp)
	c.Connect()
	c.Send(frame.New(frame.SUBSCRIBE, "id", "d", "destination", "/queue/deep"))
	for i := range n {
		m := c.Expect(frame.MESSAGE)
		if got := m.Header.Get("seq"); got != strconv.Itoa(i) {
			t.Fatalf("message %d has seq %s", i, got)
		}
	}
	if st := e.srv.Stats(); st.SlowConsumers != 0 {
		t.Fatalf("%d slow consumers", st.SlowConsumers)
	}
}

// Two client-individual consumers share a deep queue, each holding at most
// its prefetch; each sees increasing numbers, and together all of them.
func TestDeepQueueCompetingConsumersWithPrefetch(t *testing.T) {
	e := start(t, server.Config{})
	pub := stomptest.DialTCP(t, e.tcp)
	pub.Connect()
	const n = 2000
	publishQueue(t, pub, "/queue/shared", n)

	seen := make([]bool, n)
	consumers := make([]*stomptest.Conn, 2)
	for i := range consumers {
		c := stomptest.DialTCP(t, e.tcp)
		c.Connect()
		c.Send(frame.New(frame.SUBSCRIBE, "id", "s", "destination", "/queue/shared", "ack", "client-individual", "prefetch-count", "10"))
		consumers[i] = c
	}
	last := []int{-1, -1}
	for got := 0; got < n; {
		for i, c := range consumers {
			// Each holds at most 10 unacknowledged: read up to 10, ACK them.
			var ids []string
			for range 10 {
				if got+len(ids) == n {
					break
				}
				f, err := c.Read()
				if err != nil {
					break // nothing more for this one now
				}
				seq, _ := strconv.Atoi(f.Header.Get("seq"))
				if seq <= last[i] || seen[seq] {
					t.Fatalf("consumer %d got seq %d after %d (seen %v)", i, seq, last[i], seen[seq])
				}
				last[i], seen[seq] = seq, true
				ids = append(ids, f.Header.Get("ack"))
			}
			for _, id := range ids {
				c.Send(frame.New(frame.ACK, "id", id))
			}
			got += len(ids)
		}
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("seq %d never arrived", i)
		}
	}
}

// A consumer that never acknowledges holds only its prefetch; the others
// get the rest, and when it goes its messages are redelivered.
func TestStuckConsumerHoldsOnlyItsPrefetch(t *testing.T) {
	e := start(t, server.Config{Prefetch: 5})
	stuck := stomptest.DialTCP(t, e.tcp)
	stuck.Connect()
	stuck.Subscribe("s", "/queue/stuck", "ack", "client-individual")
	pub := stomptest.DialTCP(t, e.tcp)
	pub.Connect()
	const n = 200
	publishQueue(t, pub, "/queue/stuck", n)
	healthy := stomptest.DialTCP(t, e.tcp)
	healthy.Connect()
	healthy.Send(frame.New(frame.SUBSCRIBE, "id", "h", "destination", "/queue/stuck"))
	for range n - 5 {
		healthy.Expect(frame.MESSAGE)
	}
	healthy.ExpectNothing(50e6)
	stuck.Raw().Close()
	for range 5 {
		if m := healthy.Expect(frame.MESSAGE); m.Header.Get("redelivered") != "true" {
			t.Fatalf("not marked redelivered: %q", m.Header)
		}
	}
}

// A slow consumer cut off by topic traffic gives back the ack:auto queue
// messages that were queued to it and not yet written: every receipted
// queue message reaches a consumer.
func TestSlowConsumerCutKeepsQueueMessages(t *testing.T) {
	e := start(t, server.Config{MaxQueuedBytes: 256 << 10})
	victim := stomptest.DialTCP(t, e.tcp)
	victim.Connect()
	victim.Subscribe("q", "/queue/kept")
	victim.Subscribe("t", "/topic/flood")
	pub := stomptest.DialTCP(t, e.tcp)
	pub.Connect()
	// Topic traffic fills the victim's socket, then its queue; queue
	// messages in between wait in that queue when the cut comes.
	big := strings.Repeat("y", 60<<10)
	n := 0
	for ; e.srv.Stats().SlowConsumers == 0; n++ {
		if n == 2000 {
			t.Fatal("the victim was never cut off")
		}
		pub.SendText("/topic/flood", big)
		pub.SendText("/queue/kept", "q", "seq", strconv.Itoa(n), "receipt", "r")
		pub.Expect(frame.RECEIPT)
	}
	got := map[string]bool{}
	victim.Raw().SetReadDeadline(time.Now().Add(time.Second))
	for {
		f, err := victim.Read() // what reached its socket before the cut
		if err != nil || f.Command == frame.ERROR {
			break
		}
		if f.Header.Get("subscription") == "q" {
			got[f.Header.Get("seq")] = true
		}
	}
	rescuer := stomptest.DialTCP(t, e.tcp)
	rescuer.Connect()
	rescuer.Send(frame.New(frame.SUBSCRIBE, "id", "r", "destination", "/queue/kept"))
	for len(got) < n {
		got[rescuer.Expect(frame.MESSAGE).Header.Get("seq")] = true
	}
	if st := e.srv.Stats(); st.Requeued == 0 || st.TopicDropped == 0 {
		t.Fatalf("stats %+v: the cut should have requeued and dropped", st)
	}
}

// COMMIT applies everything or nothing.
func TestCommitIsAllOrNothing(t *testing.T) {
	e := start(t, server.Config{})
	watch := stomptest.DialTCP(t, e.tcp)
	watch.Connect()
	watch.Subscribe("w", "/topic/tx")
	c := stomptest.DialTCP(t, e.tcp)
	c.Connect("login", "alice")
	c.Send(frame.New(frame.BEGIN, "transaction", "t1"))
	c.SendText("/topic/tx", "first", "transaction", "t1")
	c.SendText("/user/nobody/queue/x", "to nobody", "transaction", "t1")
	c.Send(frame.New(frame.COMMIT, "transaction", "t1", "receipt", "c"))
	if f := c.ExpectError(); f.Header.Get("message") != "no recipient" || f.Header.Get("receipt-id") != "c" {
		t.Fatalf("ERROR %q", f.Header)
	}
	watch.ExpectNothing(100e6) // the first SEND did not happen either

	// Application destinations cannot wait for a COMMIT.
	c = stomptest.DialTCP(t, e.tcp)
	c.Connect()
	c.Send(frame.New(frame.BEGIN, "transaction", "t2"))
	c.SendText("/app/chat.sendMessage", "{}", "transaction", "t2")
	if f := c.ExpectError(); f.Header.Get("message") != "not in a transaction" {
		t.Fatalf("ERROR %q", f.Header)
	}
}

// A SEND to a user with no session is an ERROR when it asked for a
// receipt, and otherwise a counted drop; never a receipt.
func TestSendToOfflineUser(t *testing.T) {
	e := start(t, server.Config{})
	c := stomptest.DialTCP(t, e.tcp)
	c.Connect()
	c.SendText("/user/nobody/queue/x", "dropped")
	c.SendText("/topic/any", "still connected", "receipt", "ok")
	c.Expect(frame.RECEIPT)
	if st := e.srv.Stats(); st.UserUnreachable != 1 {
		t.Fatalf("UserUnreachable %d", st.UserUnreachable)
	}
	c.SendText("/user/nobody/queue/x", "receipted", "receipt", "r")
	if f := c.ExpectError(); f.Header.Get("message") != "no recipient" || f.Header.Get("receipt-id") != "r" {
		t.Fatalf("ERROR %q", f.Header)
	}
}

// Past the broker's pattern budget, the newcomer's SUBSCRIBE gets an ERROR
// naming it, and everyone else carries on.
func TestPatternBudgetRefusesNewcomer(t *testing.T) {
	e := startWith(t, server.Config{}, broker.MemoryConfig{MaxPatterns: 2})
	a := stomptest.DialTCP(t, e.tcp)
	a.Connect()
	a.Subscribe("1", "/topic/a.*")
	a.Subscribe("2", "/topic/b.*")
	b := stomptest.DialTCP(t, e.tcp)
	b.Connect()
	b.Send(frame.New(frame.SUBSCRIBE, "id", "3", "destination", "/topic/c.*"))
	if f := b.ExpectError(); f.Header.Get("message") != "too many pattern subscriptions" || !strings.Contains(string(f.Body), "MaxPatterns") {
		t.Fatalf("ERROR %q %q", f.Header, f.Body)
	}
	pub := stomptest.DialTCP(t, e.tcp)
	pub.Connect()
	pub.SendText("/topic/a.x", "still delivered")
	if m := a.Expect(frame.MESSAGE); string(m.Body) != "still delivered" {
		t.Fatalf("got %q", m.Body)
	}
}
