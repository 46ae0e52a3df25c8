package scale

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A node is a running bin/stompbox.
type node struct {
	name        string
	cmd         *exec.Cmd
	addr, stomp string

	mu   sync.Mutex
	tail []string // its last log lines, for failures
}

var listenRe = regexp.MustCompile(`msg="?(listening|listening for STOMP over TCP)"? addr=(\S+)`)

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
	bin := os.Getenv("STOMPBOX_BIN")
	if bin == "" {
		bin = filepath.Join("..", "..", "bin", "stompbox")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s: %v (run make build first)", bin, err)
	}
	all := append([]string{"-addr", "127.0.0.1:0", "-stomp-addr", "127.0.0.1:0", "-data", t.TempDir()}, nodeArgs...)
	cmd := exec.Command(bin, append(all, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STOMPBOX_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if brokerURL != "" {
		cmd.Env = append(cmd.Env, "STOMPBOX_BROKER="+brokerURL)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &node{name: name, cmd: cmd}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			n.mu.Lock()
			if m := listenRe.FindStringSubmatch(line); m != nil {
				if m[1] == "listening" {
					n.addr = m[2]
				} else {
					n.stomp = m[2]
				}
				if n.addr != "" && n.stomp != "" && ready != nil {
					close(ready)
					ready = nil
				}
			}
			if n.tail = append(n.tail, line); len(n.tail) > 40 {
				n.tail = n.tail[1:]
			}
			n.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("node %s exited with %v", name, err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("node %s did not stop within 20 s of SIGTERM", name)
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("node %s log tail:\n%s", name, strings.Join(n.logTail(), "\n"))
		}
	})
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatalf("node %s did not start: %s", name, strings.Join(n.logTail(), "\n"))
	}
	n.waitReady(t)
	return n
}

func (n *node) logTail() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.tail...)
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

// cpu is the CPU time (user and system) the node has used so far.
func (n *node) cpu() time.Duration { return procCPU(n.cmd.Process.Pid) }

// rssMB is the node's resident memory in MiB.
func (n *node) rssMB() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", n.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb >> 10
		}
	}
	return 0
}

// clockTick is USER_HZ, the unit of /proc/PID/stat's times: 100 on Linux
// for every architecture Go supports.
const clockTick = 100

// procCPU reads utime+stime of a process from /proc/PID/stat; 0 when it
// cannot.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces: fields count from after its ")".
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	return time.Duration(utime+stime) * time.Second / clockTick
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
// boot (the first line of /proc/stat, less idle and iowait): what the
// nodes, RabbitMQ and the load client did not use of it in a window was
// used by something else on the machine.
func machineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, _ := strconv.ParseInt(f[i], 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTick
}
