package proctest

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stompbox/stompbox/internal/procstat"
)

// Config says how to run a process.
type Config struct {
	// Name names the process in failures. Default "the process".
	Name string
	// Args are the process's arguments.
	Args []string
	// Env is the process's environment. Default (nil): this process's.
	Env []string
	// Listeners are the log messages Start waits for, each logged with
	// an addr attribute. Default: none, so Start waits for nothing.
	Listeners []string
	// StartTimeout bounds the wait for Listeners. Default 10 s.
	StartTimeout time.Duration
	// StopGrace is how long the process has to exit after SIGTERM when
	// the test ends; then it is killed. Default 15 s.
	StopGrace time.Duration
}

// A Proc is a running process started by Start.
type Proc struct {
	name string
	cmd  *exec.Cmd
	log  *logWriter

	exited chan struct{} // closed once the process has exited and its log is read
	err    error         // its exit status, set before exited is closed
}

// Start runs bin as cfg says and waits until its log has announced every
// listener in cfg.Listeners. It fails the test, with the log tail, if the
// process cannot start, exits first, or does not announce them within
// cfg.StartTimeout. When the test ends the process gets SIGTERM, and the
// test fails unless it exits with status 0 within cfg.StopGrace.
func Start(t testing.TB, bin string, cfg Config) *Proc {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = "the process"
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 10 * time.Second
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = 15 * time.Second
	}
	p := &Proc{
		name:   cfg.Name,
		cmd:    exec.Command(bin, cfg.Args...),
		log:    newLogWriter(cfg.Listeners),
		exited: make(chan struct{}),
	}
	p.cmd.Env = cfg.Env
	p.cmd.Stderr = p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", cfg.Name, err)
	}
	go func() {
		p.err = p.cmd.Wait() // returns once stderr is read to its end
		p.log.flush()
		close(p.exited)
	}()
	t.Cleanup(func() { p.stop(t, cfg.StopGrace) })
	select {
	case <-p.log.ready:
	case <-p.exited:
		t.Fatalf("%s exited with %v before it started listening: %s", p.name, p.err, p.tailText())
	case <-time.After(cfg.StartTimeout):
		t.Fatalf("%s did not start within %v: %s", p.name, cfg.StartTimeout, p.tailText())
	}
	return p
}

// stop sends SIGTERM and fails the test unless the process exits with
// status 0 within grace; a crash, or a data race under a -race build
// (exit 66), fails it too.
func (p *Proc) stop(t testing.TB, grace time.Duration) {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		if p.err != nil {
			t.Errorf("%s exited with %v", p.name, p.err)
		}
	case <-time.After(grace):
		t.Errorf("%s did not stop within %v of SIGTERM", p.name, grace)
		p.cmd.Process.Kill()
		<-p.exited
	}
	if t.Failed() {
		t.Logf("%s log tail:\n%s", p.name, p.tailText())
	}
}

// Pid is the process's id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Addr is the address the log announced with the listener message msg,
// or "" if it has not.
func (p *Proc) Addr(msg string) string { return p.log.addr(msg) }

// LogTail returns the last lines of the process's log (up to TailLines).
func (p *Proc) LogTail() []string { return p.log.lines() }

func (p *Proc) tailText() string { return strings.Join(p.LogTail(), "\n") }

// CPU is the process's user and system CPU time so far.
func (p *Proc) CPU() (time.Duration, error) { return procstat.CPU(p.Pid()) }

// RSS is the process's resident memory in bytes.
func (p *Proc) RSS() (int64, error) { return procstat.RSS(p.Pid()) }

// String names the process, with its pid.
func (p *Proc) String() string { return fmt.Sprintf("%s (pid %d)", p.name, p.Pid()) }
