package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stompbox/stompbox/internal/procstat"
	"github.com/stompbox/stompbox/internal/rabbittest"
)

// A server is one running server under test.
type server struct {
	name     string
	url      string // STOMP over WebSocket
	login    string // CONNECT login and passcode; empty sends none
	passcode string
	pid      int // the process whose CPU and memory are measured
	cmd      *exec.Cmd
	done     chan struct{}
	dir      string // temporary, removed by stop
	logPath  string
}

// A kind says how to start one of the servers compared.
type kind struct {
	name     string
	bin      string // its binary in -bin; "" when not ours
	start    func(ctx context.Context, c *config) (*server, error)
	maxConns int // connections it can hold; 0 means no limit of its own
	// loads is what it runs, in groups: each group on a fresh process.
	loads func(c *config) [][]load
	// handler says it runs only the application-handler loads: it has
	// its own section of the document, not a column of the comparison.
	handler bool
}

var kinds = []kind{
	{name: "stompbox", bin: "stompbox", start: startStompbox, loads: loads},
	{name: "parity", bin: "parity", start: startParity, loads: parityLoads, handler: true},
	{name: "refserver", bin: "refserver", start: startRefserver, loads: loads},
	{name: "rabbitmq", start: startRabbit, maxConns: rabbitConns, loads: loads},
}

// kindOf is the kind named name, which parseFlags has checked.
func kindOf(name string) kind {
	return kinds[slices.IndexFunc(kinds, func(k kind) bool { return k.name == name })]
}

func startStompbox(ctx context.Context, c *config) (*server, error) {
	return startBin(ctx, c, "stompbox", func(dir string) []string {
		return []string{"-data", filepath.Join(dir, "data"),
			"-max-connections", "30000", "-max-connections-per-ip", "30000", "-log-level", "warn"}
	})
}

// startParity starts examples/parity, the stompbox library with a
// Spring-parity application: its /app/echo/{room} handler relays a JSON
// body unchanged to /topic/echo.{room}. Its clock pushes once an hour,
// not every second, so they do not interfere.
func startParity(ctx context.Context, c *config) (*server, error) {
	return startBin(ctx, c, "parity", func(string) []string { return []string{"-clock", "1h"} })
}

func startRefserver(ctx context.Context, c *config) (*server, error) {
	return startBin(ctx, c, "refserver", func(string) []string { return []string{"-log-level", "warn"} })
}

// startBin starts bin/name, one of this repository's servers, pinned to
// the server's CPU and serving /chat-app on a free loopback port, with
// the flags flags gives for its temporary directory.
func startBin(ctx context.Context, c *config, name string, flags func(dir string) []string) (*server, error) {
	dir, err := os.MkdirTemp("", "benchcompare-"+name+"-")
	if err != nil {
		return nil, err
	}
	port := rabbittest.FreePort()
	s := &server{name: name, dir: dir, url: fmt.Sprintf("ws://127.0.0.1:%d/chat-app", port)}
	args := append([]string{"-c", c.serverCPU, filepath.Join(c.bin, name),
		"-addr", fmt.Sprintf("127.0.0.1:%d", port)}, flags(dir)...)
	return s, s.run(ctx, exec.Command("taskset", args...), port)
}

// rabbitServer is Debian's RabbitMQ start script.
const rabbitServer = "/usr/lib/rabbitmq/bin/rabbitmq-server"

// rabbitFiles is the open-files limit RabbitMQ is started with, as high
// as the machine's per-process hard limit allows here.
const rabbitFiles = 20000

// rabbitConns is the idle load's connections for RabbitMQ: it keeps 10%
// of its open files for other uses and takes sockets only up to the rest
// (17,910 with 20,000 files here); a connection beyond that waits
// forever for CONNECTED. A margin below that keeps the run quick.
const rabbitConns = 17500

func startRabbit(ctx context.Context, c *config) (*server, error) {
	if _, err := os.Stat(rabbitServer); err != nil {
		return nil, fmt.Errorf("rabbitmq: %w (make deps installs rabbitmq-server)", err)
	}
	dir, err := os.MkdirTemp("", "benchcompare-rabbit-")
	if err != nil {
		return nil, err
	}
	ports := freePorts(4) // AMQP, distribution, STOMP, Web-STOMP
	s := &server{name: "rabbitmq", dir: dir, login: "guest", passcode: "guest",
		url: fmt.Sprintf("ws://127.0.0.1:%d/ws", ports[3])}
	conf := fmt.Sprintf(`listeners.tcp.default = 127.0.0.1:%d
stomp.listeners.tcp.1 = 127.0.0.1:%d
web_stomp.tcp.ip = 127.0.0.1
web_stomp.tcp.port = %d
# Only the idle load's connections send heart-beats; cowboy would close the
# others after 60 s without traffic.
web_stomp.ws_opts.idle_timeout = 3600000
loopback_users.guest = true
# RabbitMQ takes STOMP's host header as the virtual host, and stompbench
# sends the URL's host: make that the node's one vhost, guest's on first boot.
default_vhost = 127.0.0.1
log.file.level = warning
`, ports[0], ports[1], ports[3])
	files := map[string]string{
		"rabbitmq.conf":   conf,
		"enabled_plugins": "[rabbitmq_stomp,rabbitmq_web_stomp].\n",
		// RabbitMQ ends every frame with a newline after the NUL, which
		// STOMP allows, but a closed-window stompbench publisher sees
		// the newline still buffered and waits to read before it sends:
		// it would stall. Without the newline RabbitMQ sends one byte
		// fewer a frame and nothing else changes.
		"advanced.config": "[{rabbitmq_stomp, [{trailing_lf, false}]}].\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	// Run as the rabbitmq user when root (RabbitMQ refuses root's Erlang
	// cookie habits and the tests do the same), after raising the
	// open-files limit, which setpriv and taskset keep.
	script := fmt.Sprintf("ulimit -n %d && exec ", rabbitFiles)
	if os.Geteuid() == 0 {
		if err := chownTree(dir, "rabbitmq"); err != nil {
			return nil, err
		}
		script += "setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "
	}
	script += fmt.Sprintf("taskset -c %s %s", c.serverCPU, rabbitServer)
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"HOME="+dir,
		fmt.Sprintf("RABBITMQ_NODENAME=benchcompare-%d@localhost", os.Getpid()),
		"RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		"RABBITMQ_NODE_PORT="+strconv.Itoa(ports[0]),
		"RABBITMQ_DIST_PORT="+strconv.Itoa(ports[2]),
		"RABBITMQ_CONFIG_FILE="+filepath.Join(dir, "rabbitmq.conf"),
		"RABBITMQ_ADVANCED_CONFIG_FILE="+filepath.Join(dir, "advanced.config"),
		"RABBITMQ_MNESIA_BASE="+filepath.Join(dir, "mnesia"),
		"RABBITMQ_LOG_BASE="+filepath.Join(dir, "log"),
		"RABBITMQ_ENABLED_PLUGINS_FILE="+filepath.Join(dir, "enabled_plugins"),
		"RABBITMQ_PID_FILE="+filepath.Join(dir, "pid"),
		"ERL_EPMD_ADDRESS=127.0.0.1",
	)
	if err := s.run(ctx, cmd, ports[3]); err != nil {
		return s, err
	}
	// The process measured is the Erlang VM, which writes its pid here.
	for deadline := time.Now().Add(30 * time.Second); ; {
		b, err := os.ReadFile(filepath.Join(dir, "pid"))
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && perr == nil && pid > 0 {
			s.pid = pid
			return s, nil
		}
		if time.Now().After(deadline) {
			return s, errors.New("rabbitmq: no pid file")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func chownTree(dir, name string) error {
	out, err := exec.Command("chown", "-R", name+":"+name, dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("chown %s: %v: %s", dir, err, out)
	}
	return nil
}

// run starts cmd in its own process group, its output in the server's
// log file, and waits (up to two minutes) until port takes connections.
func (s *server) run(ctx context.Context, cmd *exec.Cmd, port int) error {
	s.logPath = filepath.Join(s.dir, "server.log")
	out, err := os.Create(s.logPath)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("%s: %w", s.name, err)
	}
	s.cmd, s.pid, s.done = cmd, cmd.Process.Pid, make(chan struct{})
	go func() { cmd.Wait(); out.Close(); close(s.done) }()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("%s exited before listening:\n%s", s.name, s.logTail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s: nothing listening on %s after two minutes", s.name, addr)
}

// logTail is the end of the server's output, for errors.
func (s *server) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// stop sends SIGTERM to the server's process group, SIGKILL after 30 s,
// waits for it and removes its directory.
func (s *server) stop() {
	if s.cmd != nil {
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
	}
	os.RemoveAll(s.dir)
}

// quiesce waits (up to limit) until the server uses under 5% of a core
// over half a second: a load's cleanup (RabbitMQ deleting a thousand
// queues) must not count against the next.
func (s *server) quiesce(limit time.Duration) {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); {
		a, err := procstat.CPU(s.pid)
		time.Sleep(500 * time.Millisecond)
		b, err2 := procstat.CPU(s.pid)
		if err != nil || err2 != nil || b-a < 25*time.Millisecond {
			return
		}
	}
}

// freePorts returns n different free ports.
func freePorts(n int) []int {
	var ps []int
	for len(ps) < n {
		p := rabbittest.FreePort()
		dup := false
		for _, q := range ps {
			dup = dup || q == p
		}
		if !dup {
			ps = append(ps, p)
		}
	}
	return ps
}
