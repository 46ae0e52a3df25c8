package scale

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stompbox/stompbox/frame"
)

// The connection load: clients split evenly over two nodes, each in one
// of rooms chat rooms (so every room has members on both nodes) and on a
// user destination.
const (
	clients = 5000
	rooms   = 500
	// exchange is the topic exchange the nodes share (broker/amqp's
	// default).
	exchange = "stompbox.topics"
	// nodesKey is the binding of the chat's own topic between nodes,
	// /topic/stompbox.nodes, which every node subscribes to.
	nodesKey = "topic.stompbox.nodes"
)

func roomDest(i int) string { return fmt.Sprintf("/topic/rooms.r%03d", i) }

// userKey is the routing key broker/amqp binds for a user online on a
// node: "user." and the first 16 bytes of the SHA-256 of the name, in hex.
func userKey(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "user." + hex.EncodeToString(sum[:16])
}

// roomKey is the routing key of a room topic: the destination with "/"
// as ".", without the leading one.
func roomKey(i int) string { return strings.ReplaceAll(strings.TrimPrefix(roomDest(i), "/"), "/", ".") }

// A member is one connected client of the connection test; it reads (and
// drops) what it is sent, counting what reaches its user destination.
type member struct {
	cl     *client
	user   string
	notify atomic.Int64
	done   chan struct{}
}

func (m *member) read() {
	defer close(m.done)
	m.cl.c.SetReadDeadline(time.Time{})
	for m.cl.rd.ReadFrame(&m.cl.f) == nil {
		if m.cl.f.Command == frame.MESSAGE && m.cl.f.Header.Get(frame.HdrDestination) == "/user/queue/notify" {
			m.notify.Add(1)
		}
	}
}

func TestScaleBrokerConnections(t *testing.T) {
	nodes := []*node{startNode(t, "A", rabbit.URL()), startNode(t, "B", rabbit.URL())}
	members := make([]*member, clients)
	t.Cleanup(func() {
		for _, m := range members {
			if m != nil {
				m.cl.c.Close()
			}
		}
	})
	// Client i is on node i mod 2, in room (i/2) mod rooms: each node has
	// clients/2 users in every room.
	start := time.Now()
	if err := parallel(clients, 64, func(i int) error {
		user := fmt.Sprintf("u%04d", i)
		cl, err := dial(nodes[i%2].stomp, user)
		if err != nil {
			return err
		}
		members[i] = &member{cl: cl, user: user, done: make(chan struct{})}
		if err := cl.subscribe("room", roomDest(i/2%rooms)); err != nil {
			return fmt.Errorf("%s: %w", user, err)
		}
		if err := cl.subscribe("notify", "/user/queue/notify"); err != nil {
			return fmt.Errorf("%s: %w", user, err)
		}
		go members[i].read()
		return nil
	}); err != nil {
		t.Fatalf("clients: %v", err)
	}
	connectTime := time.Since(start)

	// Users reach each other across nodes: a probe on each node sends to
	// a user on the other one, with a receipt.
	want := make([]map[string]bool, len(nodes))
	for i := range want {
		want[i] = map[string]bool{nodesKey: true}
	}
	for i, m := range members {
		want[i%2][userKey(m.user)] = true
		want[i%2][roomKey(i/2%rooms)] = true
	}
	for i, n := range nodes {
		probe := "probe-" + n.name
		cl, err := dial(n.stomp, probe)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cl.c.Close() })
		want[i][userKey(probe)] = true
		to := members[1-i] // on the other node
		send := frame.New(frame.SEND, "destination", "/user/"+to.user+"/queue/notify", "content-type", "text/plain")
		send.Body = []byte("hello from " + n.name)
		if err := cl.request(send, "probe"); err != nil {
			t.Fatalf("%s to %s: %v", probe, to.user, err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for to.notify.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if to.notify.Load() != 1 {
			t.Errorf("%s on node %s got %d messages on /user/queue/notify from node %s, want 1", to.user, nodes[1-i].name, to.notify.Load(), n.name)
		}
	}

	conns, err := ctl("list_connections", "--no-table-headers", "name")
	if err != nil {
		t.Fatal(err)
	}
	chans, err := ctl("list_channels", "--no-table-headers", "name")
	if err != nil {
		t.Fatal(err)
	}
	lines, err := ctl("list_bindings", "--no-table-headers", "source_name", "destination_name", "routing_key")
	if err != nil {
		t.Fatal(err)
	}
	bound := map[string]map[string]bool{} // queue -> keys bound on the topic exchange
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) != 3 || f[0] != exchange {
			continue
		}
		if bound[f[1]] == nil {
			bound[f[1]] = map[string]bool{}
		}
		bound[f[1]][f[2]] = true
	}
	if len(conns) != len(nodes) {
		t.Errorf("%d AMQP connections for %d nodes, want one each: %q", len(conns), len(nodes), conns)
	}
	if len(bound) != len(nodes) {
		t.Errorf("%d queues bound to %s for %d nodes, want one each", len(bound), exchange, len(nodes))
	}
	// Tell the nodes' queues apart by a user each one alone has.
	found := make([]int, len(nodes))
	for i := range nodes {
		var keys map[string]bool
		for _, k := range bound {
			if k[userKey(members[i].user)] {
				keys = k
			}
		}
		found[i] = len(keys)
		var missing, extra []string
		for k := range want[i] {
			if !keys[k] {
				missing = append(missing, k)
			}
		}
		for k := range keys {
			if !want[i][k] {
				extra = append(extra, k)
			}
		}
		sort.Strings(missing)
		sort.Strings(extra)
		if len(missing) > 0 || len(extra) > 0 {
			t.Errorf("node %s: %d bindings, want %d; missing %d %.10q, extra %d %.10q",
				nodes[i].name, len(keys), len(want[i]), len(missing), missing, len(extra), extra)
		}
	}
	perNode := clients / len(nodes)
	rows := fmt.Sprintf("\n## Broker connections per node with %d clients\n\n"+
		"Two nodes on one RabbitMQ; %d STOMP clients, %d on each node, each a named user in one of %d chat rooms "+
		"(every room has members on both nodes) and subscribed to /user/queue/notify; one more user per node sends "+
		"to a user on the other node. Counted with rabbitmqctl.\n\n"+
		"| nodes | clients per node | AMQP connections | AMQP channels | bindings per node, found of expected (%d rooms + %d users + %s) | node RSS MB | connect time | result |\n"+
		"|---|---|---|---|---|---|---|---|\n",
		clients, clients, perNode, rooms, rooms, perNode+1, nodesKey)
	bindings := make([]string, len(nodes))
	rss := make([]string, len(nodes))
	for i, n := range nodes {
		bindings[i] = fmt.Sprintf("%s: %d of %d", n.name, found[i], len(want[i]))
		rss[i] = fmt.Sprint(n.rssMB())
	}
	outcome := "pass"
	if t.Failed() {
		outcome = "FAIL"
	}
	rows += fmt.Sprintf("| %d | %d | %d | %d | %s | %s | %.1f s | %s |\n",
		len(nodes), perNode, len(conns), len(chans), strings.Join(bindings, "; "), strings.Join(rss, " / "), connectTime.Seconds(), outcome)
	t.Log(rows)
	report(t, rows)
}
