package scale

import (
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stompbox/stompbox/internal/procstat"
	"github.com/stompbox/stompbox/internal/proctest"
)

// A node is a running bin/stompbox.
type node struct {
	*proctest.Proc
	name        string
	addr, stomp string
}

// The log messages that announce a node's listeners.
const (
	listenWS  = "listening"
	listenTCP = "listening for STOMP over TCP"
)

// nodeArgs lift the budgets a load from one loopback address would hit:
// every client here comes from 127.0.0.1.
var nodeArgs = []string{
	"-max-connections", "15000",
	"-max-connections-per-ip", "15000",
	"-rooms-per-ip", "1000,100",
}

// startNode runs the binary on loopback ports, on the RabbitMQ at
// brokerURL ("" for the in-memory broker), with args added, and stops it
// when the test ends. The URL goes in STOMPBOX_BROKER, as the docs ask
// for passwords.
func startNode(t *testing.T, name, brokerURL string, args ...string) *node {
	t.Helper()
	all := append([]string{"-addr", "127.0.0.1:0", "-stomp-addr", "127.0.0.1:0", "-data", t.TempDir()}, nodeArgs...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STOMPBOX_") {
			env = append(env, kv)
		}
	}
	if brokerURL != "" {
		env = append(env, "STOMPBOX_BROKER="+brokerURL)
	}
	p := proctest.Start(t, proctest.Bin(t), proctest.Config{
		Name:         "node " + name,
		Args:         append(all, args...),
		Env:          env,
		Listeners:    []string{listenWS, listenTCP},
		StartTimeout: 20 * time.Second,
		StopGrace:    20 * time.Second,
	})
	n := &node{Proc: p, name: name, addr: p.Addr(listenWS), stomp: p.Addr(listenTCP)}
	n.waitReady(t)
	return n
}

// waitReady waits until /readyz says the node can route (its broker is up).
func (n *node) waitReady(t *testing.T) {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := c.Get("http://" + n.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s not ready within 20 s: %v", n.name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// cpu is the CPU time (user and system) the node has used so far; 0
// when it cannot be read.
func (n *node) cpu() time.Duration {
	d, _ := n.CPU()
	return d
}

// rssMB is the node's resident memory in MiB; 0 when it cannot be read.
func (n *node) rssMB() int64 {
	b, _ := n.RSS()
	return b >> 20
}

// selfCPU is the CPU time this test process (the load client) has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU is the CPU time every process on the machine has used since
// boot: what the nodes, RabbitMQ and the load client did not use of it in
// a window was used by something else on the machine. 0 when it cannot be
// read.
func machineCPU() time.Duration {
	d, _ := procstat.MachineCPU()
	return d
}
