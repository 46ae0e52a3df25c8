// Package rabbittest runs a RabbitMQ node of a test's own: Debian's
// rabbitmq-server on loopback ports picked at random, with its data in a
// temporary directory, started as the rabbitmq user when the test runs as
// root (with the open-files limit it needs), no plugins. It can be stopped
// and started again on the same port and data, to test a broker restart.
package rabbittest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Server is the binary tests start.
const Server = "/usr/lib/rabbitmq/bin/rabbitmq-server"

// ErrMissing means RabbitMQ is not installed (make deps installs it).
var ErrMissing = errors.New("rabbittest: " + Server + " not found")

// A Node is one RabbitMQ node.
type Node struct {
	Port int // AMQP, on 127.0.0.1
	dir  string
	dist int
	name string
	cred *syscall.Credential
	cmd  *exec.Cmd
	done chan struct{}
}

// URL is the node's AMQP URL (guest may log in over loopback).
func (n *Node) URL() string { return fmt.Sprintf("amqp://guest:guest@127.0.0.1:%d/", n.Port) }

// New prepares a node in a new temporary directory and starts it.
func New() (*Node, error) {
	if _, err := os.Stat(Server); err != nil {
		return nil, ErrMissing
	}
	dir, err := os.MkdirTemp("", "stompbox-rabbit-")
	if err != nil {
		return nil, err
	}
	n := &Node{dir: dir, name: fmt.Sprintf("stompbox-test-%d@localhost", os.Getpid())}
	n.pickPorts()
	if err := os.WriteFile(filepath.Join(dir, "enabled_plugins"), []byte("[].\n"), 0o644); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("rabbitmq")
		if err != nil {
			return nil, fmt.Errorf("rabbittest: running as root and no rabbitmq user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		n.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		for _, p := range []string{dir, filepath.Join(dir, "enabled_plugins")} {
			if err := os.Chown(p, uid, gid); err != nil {
				return nil, err
			}
		}
	}
	// A port picked free may be taken before the node binds it (an
	// outgoing connection's ephemeral port): try again with others.
	for attempt := 1; ; attempt++ {
		err := n.Start()
		if err == nil {
			return n, nil
		}
		if attempt == 5 {
			n.Close()
			return nil, err
		}
		os.RemoveAll(filepath.Join(dir, "mnesia"))
		n.pickPorts()
	}
}

// pickPorts picks two different free ports, for AMQP and distribution.
func (n *Node) pickPorts() {
	n.Port = FreePort()
	for n.dist = FreePort(); n.dist == n.Port; n.dist = FreePort() {
	}
}

// FreePort returns a loopback port nothing listens on, below the kernel's
// ephemeral range (32768 and up on Linux): an outgoing connection's local
// port there would make RabbitMQ's check of its distribution port fail
// ("dist_port_already_used"), and a load generator's could take a
// server's port first.
func FreePort() int {
	for {
		p := 20000 + rand.IntN(12000)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err == nil {
			l.Close()
			return p
		}
	}
}

// Start starts the node and waits (up to a minute) until it takes AMQP
// connections.
func (n *Node) Start() error {
	cmd := exec.Command(Server)
	cmd.Dir = n.dir
	cmd.Env = append(os.Environ(),
		"HOME="+n.dir,
		"RABBITMQ_NODENAME="+n.name,
		"RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		"RABBITMQ_NODE_PORT="+strconv.Itoa(n.Port),
		"RABBITMQ_DIST_PORT="+strconv.Itoa(n.dist),
		"RABBITMQ_MNESIA_BASE="+filepath.Join(n.dir, "mnesia"),
		"RABBITMQ_LOG_BASE="+filepath.Join(n.dir, "log"),
		"RABBITMQ_ENABLED_PLUGINS_FILE="+filepath.Join(n.dir, "enabled_plugins"),
		"RABBITMQ_PID_FILE="+filepath.Join(n.dir, "pid"),
	)
	out, err := os.Create(filepath.Join(n.dir, "out"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: n.cred, Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("rabbittest: %w", err)
	}
	n.cmd, n.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); out.Close(); close(n.done) }()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", n.Port), time.Second); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-n.done:
			b, _ := os.ReadFile(filepath.Join(n.dir, "out"))
			return fmt.Errorf("rabbittest: rabbitmq-server exited:\n%s", b)
		case <-time.After(200 * time.Millisecond):
		}
	}
	n.Stop()
	return errors.New("rabbittest: RabbitMQ did not listen within a minute")
}

// Stop stops the node (SIGTERM to its process group, then SIGKILL after
// 20 s) and waits for it.
func (n *Node) Stop() {
	if n.cmd == nil {
		return
	}
	syscall.Kill(-n.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(20 * time.Second):
		syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
		<-n.done
	}
	n.cmd = nil
}

// Close stops the node and removes its directory.
func (n *Node) Close() {
	n.Stop()
	os.RemoveAll(n.dir)
}
