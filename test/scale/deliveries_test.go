package scale

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stompbox/stompbox/frame"
)

// The load every setup carries: topics × subscribersPerTopic subscribers,
// publishersPerTopic publishers per topic, each keeping window receipted
// SENDs of bodySize bytes outstanding (a closed window: the next SEND
// waits for a RECEIPT, which on RabbitMQ waits for its publisher confirm).
const (
	topics              = 10
	subscribersPerTopic = 100
	publishersPerTopic  = 2
	window              = 8
	bodySize            = 100
)

// maxQueued is the nodes' -max-queued-bytes here. A RECEIPT means the
// message is queued for every subscriber, not written, and the load client
// reading 1,000 sockets shares two cores with the nodes, so a subscriber
// may lag by more than the default 4 MiB; a cut would be a lost count,
// not a measure of the path.
const maxQueued = "268435456"

func topicDest(t int) string { return fmt.Sprintf("/topic/bench.%d", t) }

// A subscriber counts what reaches it, by publisher and sequence number.
type subscriber struct {
	cl    *client
	topic int
	next  []int64 // by publisher: the next sequence number expected
	got   atomic.Int64
	dup   int64 // sequence numbers seen again (or late)
	gap   int64 // sequence numbers skipped
	wrong int64 // messages from a publisher of another topic
	err   error // why reading ended, if not the test closing it
	done  chan struct{}
}

// read counts MESSAGEs until the connection ends. Only it touches next,
// dup, gap, wrong and err; the test reads them after done.
func (s *subscriber) read(pubTopic []int) {
	defer close(s.done)
	s.cl.c.SetReadDeadline(time.Time{})
	for {
		if err := s.cl.rd.ReadFrame(&s.cl.f); err != nil {
			if !closed(err) {
				s.err = err
			}
			return
		}
		f := &s.cl.f
		switch f.Command {
		case frame.MESSAGE:
		case frame.ERROR:
			s.err = fmt.Errorf("ERROR %s", f.Header.Get(frame.HdrMessage))
			return
		default:
			continue
		}
		pub, seq := atoi(f.Header.Lookup("pub")), atoi(f.Header.Lookup("seq"))
		if pub < 0 || int(pub) >= len(s.next) || seq < 0 || pubTopic[pub] != s.topic {
			s.wrong++
			continue
		}
		switch n := s.next[pub]; {
		case seq == n:
			s.next[pub]++
		case seq < n:
			s.dup++
			continue
		default:
			s.gap += seq - n
			s.next[pub] = seq + 1
		}
		s.got.Add(1)
	}
}

// A publisher sends to one topic with a closed window of receipts.
type publisher struct {
	id, topic int
	cl        *client
	sent      atomic.Int64
	receipted atomic.Int64
}

// run sends until stop, then waits for the receipts still outstanding.
func (p *publisher) run(stop <-chan struct{}) error {
	slots := make(chan struct{}, window)
	rerr := make(chan error, 1)
	go func() {
		p.cl.c.SetReadDeadline(time.Time{})
		for {
			if err := p.cl.rd.ReadFrame(&p.cl.f); err != nil {
				if !closed(err) {
					rerr <- err
				}
				return
			}
			switch p.cl.f.Command {
			case frame.RECEIPT:
				p.receipted.Add(1)
				<-slots
			case frame.ERROR:
				rerr <- fmt.Errorf("publisher %d: ERROR %s", p.id, p.cl.f.Header.Get(frame.HdrMessage))
				return
			}
		}
	}()
	body := bytes.Repeat([]byte{'x'}, bodySize)
	dest := topicDest(p.topic)
	var buf []byte
	for seq := int64(0); ; seq++ {
		select {
		case <-stop:
			return p.drain(rerr)
		case err := <-rerr:
			return err
		case slots <- struct{}{}:
		}
		buf = appendSend(buf[:0], dest, p.id, seq, body)
		if err := p.cl.write(buf); err != nil {
			return fmt.Errorf("publisher %d: %w", p.id, err)
		}
		p.sent.Add(1)
	}
}

// drain waits until every SEND has its RECEIPT.
func (p *publisher) drain(rerr <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	for p.receipted.Load() < p.sent.Load() {
		select {
		case err := <-rerr:
			return err
		case <-time.After(time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("publisher %d: %d of %d SENDs without a RECEIPT after 30 s", p.id, p.sent.Load()-p.receipted.Load(), p.sent.Load())
		}
	}
	return nil
}

// A setup is where the load runs.
type setup struct {
	name  string
	nodes int
	amqp  bool
}

// A result is one setup's measurement.
type result struct {
	messages, deliveries, lost, dup int64
	elapsed                         time.Duration
	nodeCPU                         []time.Duration
	rabbitCPU, clientCPU, otherCPU  time.Duration
}

func TestScaleDeliveries(t *testing.T) {
	report(t, fmt.Sprintf("\n## Deliveries per second, one node against two through RabbitMQ\n\n"+
		"%d topics × %d subscribers; %d publishers per topic, each with %d receipted SENDs of %d bytes outstanding; "+
		"with two nodes, half of each topic's subscribers and one publisher per topic on each. "+
		"A session handles its SENDs one at a time, so on RabbitMQ, where a SEND waits for its publisher confirm, "+
		"the window is in effect one per publisher. "+
		"Deliveries/s counts MESSAGEs read by the subscribers from the first SEND to the last delivery; "+
		"CPU is seconds used in that time (node: each node's process; RabbitMQ: its Erlang VM; client: this test's load client; "+
		"other: the rest of the machine, from /proc/stat, not zero when something else runs beside the test); "+
		"the machine has %d × seconds CPU seconds in all. Deliveries per node CPU second is the cost, "+
		"which depends less than the speed on what else the machine runs.\n\n"+
		"| setup | messages | deliveries | seconds | messages/s | deliveries/s | lost / duplicated | node CPU s | deliveries per node CPU s | RabbitMQ CPU s | client CPU s | other CPU s |\n"+
		"|---|---|---|---|---|---|---|---|---|---|---|---|\n",
		topics, subscribersPerTopic, publishersPerTopic, window, bodySize, runtime.NumCPU()))
	for _, s := range []setup{
		{"one node, in-memory broker", 1, false},
		{"one node, RabbitMQ", 1, true},
		{"two nodes, RabbitMQ", 2, true},
	} {
		t.Run(strings.ReplaceAll(s.name, " ", "_"), func(t *testing.T) {
			r := load(t, s)
			cpus := make([]string, len(r.nodeCPU))
			var sum time.Duration
			for i, c := range r.nodeCPU {
				cpus[i] = fmt.Sprintf("%.1f", c.Seconds())
				sum += c
			}
			nodeCPU := strings.Join(cpus, " + ")
			if len(cpus) > 1 {
				nodeCPU += fmt.Sprintf(" = %.1f", sum.Seconds())
			}
			rabbitCPU := "-"
			if s.amqp {
				rabbitCPU = fmt.Sprintf("%.1f", r.rabbitCPU.Seconds())
			}
			secs := r.elapsed.Seconds()
			row := fmt.Sprintf("| %s | %d | %d | %.1f | %.0f | %.0f | %d / %d | %s | %.0f | %s | %.1f | %.1f |\n",
				s.name, r.messages, r.deliveries, secs, float64(r.messages)/secs, float64(r.deliveries)/secs,
				r.lost, r.dup, nodeCPU, float64(r.deliveries)/sum.Seconds(), rabbitCPU, r.clientCPU.Seconds(), max(r.otherCPU, 0).Seconds())
			t.Log(row)
			report(t, row)
		})
	}
}

// load runs the load on setup s and checks that every receipted message
// reached every subscriber of its topic once.
func load(t *testing.T, s setup) result {
	url := ""
	if s.amqp {
		url = rabbit.URL()
	}
	nodes := make([]*node, s.nodes)
	for i := range nodes {
		nodes[i] = startNode(t, string(rune('A'+i)), url, "-max-queued-bytes", maxQueued)
	}
	npub := topics * publishersPerTopic
	pubTopic := make([]int, npub)
	for i := range pubTopic {
		pubTopic[i] = i / publishersPerTopic
	}
	subs := make([]*subscriber, topics*subscribersPerTopic)
	t.Cleanup(func() {
		for _, sub := range subs {
			if sub != nil {
				sub.cl.c.Close()
			}
		}
	})
	// Subscriber k of a topic is on node k mod nodes: half on each of two.
	if err := parallel(len(subs), 32, func(i int) error {
		topic, k := i/subscribersPerTopic, i%subscribersPerTopic
		cl, err := dial(nodes[k%len(nodes)].stomp, "")
		if err != nil {
			return err
		}
		subs[i] = &subscriber{cl: cl, topic: topic, next: make([]int64, npub), done: make(chan struct{})}
		return cl.subscribe("0", topicDest(topic))
	}); err != nil {
		t.Fatalf("subscribers: %v", err)
	}
	pubs := make([]*publisher, npub)
	for i := range pubs {
		cl, err := dial(nodes[i%publishersPerTopic%len(nodes)].stomp, "")
		if err != nil {
			t.Fatalf("publisher %d: %v", i, err)
		}
		t.Cleanup(func() { cl.c.Close() })
		pubs[i] = &publisher{id: i, topic: pubTopic[i], cl: cl}
	}
	for _, sub := range subs {
		go sub.read(pubTopic)
	}

	cpu0 := make([]time.Duration, len(nodes))
	for i, n := range nodes {
		cpu0[i] = n.cpu()
	}
	rabbit0, client0, machine0 := rabbitCPU(), selfCPU(), machineCPU()
	start := time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, npub)
	for i, p := range pubs {
		wg.Go(func() { errs[i] = p.run(stop) })
	}
	time.Sleep(loadTime)
	close(stop)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var messages int64
	for _, p := range pubs {
		messages += p.sent.Load()
	}
	want := messages * subscribersPerTopic
	// Every SEND has its RECEIPT; wait for the deliveries still on their
	// way, as long as they keep coming.
	var got int64
	end := time.Now()
	for last, lastChange := int64(-1), time.Now(); ; {
		got = 0
		for _, sub := range subs {
			got += sub.got.Load()
		}
		now := time.Now()
		if got != last {
			last, lastChange, end = got, now, now
		}
		if got >= want || now.Sub(lastChange) > 10*time.Second {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	r := result{messages: messages, deliveries: got, elapsed: end.Sub(start)}
	r.otherCPU = machineCPU() - machine0
	for i, n := range nodes {
		r.nodeCPU = append(r.nodeCPU, n.cpu()-cpu0[i])
		r.otherCPU -= r.nodeCPU[i]
	}
	r.rabbitCPU, r.clientCPU = rabbitCPU()-rabbit0, selfCPU()-client0
	r.otherCPU -= r.rabbitCPU + r.clientCPU

	for _, sub := range subs {
		sub.cl.c.Close()
		<-sub.done
		if sub.err != nil {
			t.Errorf("subscriber of %s: %v", topicDest(sub.topic), sub.err)
		}
		if sub.wrong > 0 {
			t.Errorf("subscriber of %s: %d messages of other topics", topicDest(sub.topic), sub.wrong)
		}
		r.dup += sub.dup
		r.lost += sub.gap
		for p, n := range sub.next {
			if pubTopic[p] == sub.topic {
				r.lost += pubs[p].sent.Load() - n
			}
		}
	}
	if r.lost != 0 || r.dup != 0 || got != want {
		t.Errorf("%s: %d deliveries of %d receipted messages, want %d: %d lost, %d duplicated", s.name, got, messages, want, r.lost, r.dup)
	}
	return r
}
