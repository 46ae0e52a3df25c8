package proctest

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/iotest"
	"time"
)

// With PROCTEST_FAKE set, the test binary plays a server: it logs the
// listener lines in PROCTEST_FAKE (separated by "|"), then waits for
// SIGTERM and exits with PROCTEST_EXIT (default 0).
func TestMain(m *testing.M) {
	if lines, ok := os.LookupEnv("PROCTEST_FAKE"); ok {
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		for _, l := range strings.Split(lines, "|") {
			fmt.Fprintln(os.Stderr, l)
		}
		if code, err := strconv.Atoi(os.Getenv("PROCTEST_EXIT_NOW")); err == nil {
			os.Exit(code)
		}
		<-term
		code, _ := strconv.Atoi(os.Getenv("PROCTEST_EXIT"))
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func fakeConfig(lines string, env ...string) Config {
	return Config{
		Name:      "the fake",
		Env:       append(append(os.Environ(), "PROCTEST_FAKE="+lines), env...),
		Listeners: []string{"listening", "listening for STOMP over TCP"},
		StopGrace: 5 * time.Second,
	}
}

const announce = `time=x level=INFO msg=starting|` +
	`time=x level=INFO msg=listening addr=127.0.0.1:1 endpoint=/chat-app|` +
	`time=x level=INFO msg="listening for STOMP over TCP" addr=127.0.0.1:2`

func TestStart(t *testing.T) {
	p := Start(t, os.Args[0], fakeConfig(announce))
	if got := p.Addr("listening"); got != "127.0.0.1:1" {
		t.Errorf("Addr(listening) = %q", got)
	}
	if got := p.Addr("listening for STOMP over TCP"); got != "127.0.0.1:2" {
		t.Errorf("Addr(STOMP) = %q", got)
	}
	if got := p.Addr("listening for debug"); got != "" {
		t.Errorf("Addr(debug) = %q, want none", got)
	}
	if tail := p.LogTail(); len(tail) != 3 || tail[0] != "time=x level=INFO msg=starting" {
		t.Errorf("LogTail = %q", tail)
	}
	if _, err := p.CPU(); err != nil {
		t.Error(err)
	}
	if rss, err := p.RSS(); err != nil || rss <= 0 {
		t.Errorf("RSS = %d, %v", rss, err)
	}
}

// A fakeTB records failures; Fatalf ends the goroutine, as on a real T.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	failures []string
	cleanups []func()
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures = append(f.failures, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Fatalf(format string, args ...any) { f.Errorf(format, args...); runtime.Goexit() }
func (f *fakeTB) Logf(string, ...any)               {}
func (f *fakeTB) Cleanup(fn func())                 { f.cleanups = append(f.cleanups, fn) }
func (f *fakeTB) Failed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.failures) > 0
}

// run runs Start on a fakeTB, then its cleanups, and returns the failures.
func (f *fakeTB) run(cfg Config) []string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		Start(f, os.Args[0], cfg)
	}()
	<-done
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	return f.failures
}

func TestStartFails(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"exits early", fakeConfig("msg=starting", "PROCTEST_EXIT_NOW=3"), "exited with exit status 3 before it started listening"},
		{"never listens", func() Config {
			c := fakeConfig("msg=starting")
			c.StartTimeout = 200 * time.Millisecond
			return c
		}(), "did not start within 200ms: msg=starting"},
		{"bad exit", fakeConfig(announce, "PROCTEST_EXIT=2"), "the fake exited with exit status 2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			failures := (&fakeTB{TB: t}).run(c.cfg)
			if !slices.ContainsFunc(failures, func(f string) bool { return strings.Contains(f, c.want) }) {
				t.Errorf("failures %q, want one with %q", failures, c.want)
			}
		})
	}
}

// Lines split across writes, one byte at a time, are read whole.
func TestLogWriterOneByte(t *testing.T) {
	w := newLogWriter([]string{"listening for debug"})
	text := "a\nmsg=\"listening for debug\" addr=[::1]:9 paths=x\nlast"
	if _, err := io.Copy(w, iotest.OneByteReader(strings.NewReader(text))); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.ready:
	default:
		t.Error("not ready after the debug listener's line")
	}
	if got := w.addr("listening for debug"); got != "[::1]:9" {
		t.Errorf("addr = %q", got)
	}
	w.flush()
	if got := strings.Join(w.lines(), "|"); got != "a|msg=\"listening for debug\" addr=[::1]:9 paths=x|last" {
		t.Errorf("lines = %q", got)
	}
}
