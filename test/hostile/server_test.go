package hostile

import (
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stompbox/stompbox/internal/proctest"
)

// A server is a running bin/stompbox.
type server struct {
	*proctest.Proc
	addr, stomp, debug string
}

// The log messages that announce the server's listeners.
const (
	listenWS    = "listening"
	listenTCP   = "listening for STOMP over TCP"
	listenDebug = "listening for debug"
)

// start runs the binary on loopback ports with args added, and stops it
// when the test ends.
func start(t *testing.T, args ...string) *server {
	t.Helper()
	all := append([]string{"-addr", "127.0.0.1:0", "-stomp-addr", "127.0.0.1:0", "-debug-addr", "127.0.0.1:0", "-data", t.TempDir()}, args...)
	p := proctest.Start(t, proctest.Bin(t), proctest.Config{
		Name:      "the server",
		Args:      all,
		Listeners: []string{listenWS, listenTCP, listenDebug},
	})
	return &server{Proc: p, addr: p.Addr(listenWS), stomp: p.Addr(listenTCP), debug: p.Addr(listenDebug)}
}

func (s *server) wsURL() string { return "ws://" + s.addr + "/chat-app" }

// debugClient never keeps connections, so polling costs the server no fd.
var debugClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// vars returns the server's /debug/vars, after a garbage collection.
func (s *server) vars(t *testing.T) map[string]any {
	t.Helper()
	resp, err := debugClient.Get("http://" + s.debug + "/debug/vars?gc")
	if err != nil {
		t.Fatalf("debug vars: %v", err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("debug vars: %v", err)
	}
	return v
}

// counter reads a number from vars by path, e.g. "stomp", "SlowConsumers".
func counter(v map[string]any, path ...string) float64 {
	var cur any = v
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return 0
		}
		cur = m[p]
	}
	f, _ := cur.(float64)
	return f
}

// A sample is the server's resources at one moment.
type sample struct {
	RSS        int64 // bytes
	Fds        int
	Goroutines int
	Heap       int64 // heap in use
}

func (s *server) sample(t *testing.T) sample {
	t.Helper()
	sm := s.procSample()
	v := s.vars(t)
	sm.Goroutines = int(counter(v, "goroutines"))
	sm.Heap = int64(counter(v, "memory", "heap_inuse"))
	return sm
}

// procSample reads the server's RSS and open fds from /proc.
func (s *server) procSample() sample {
	var sm sample
	sm.RSS, _ = s.RSS()
	if fds, err := os.ReadDir("/proc/" + strconv.Itoa(s.Pid()) + "/fd"); err == nil {
		sm.Fds = len(fds)
	}
	return sm
}

// watch samples the server every 100 ms until the returned stop, which
// gives the peaks seen.
func (s *server) watch(t *testing.T) (stop func() sample) {
	var mu sync.Mutex
	var peak sample
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
			}
			sm := s.procSample()
			if resp, err := debugClient.Get("http://" + s.debug + "/debug/vars"); err == nil {
				var v map[string]any
				json.NewDecoder(resp.Body).Decode(&v)
				resp.Body.Close()
				sm.Goroutines = int(counter(v, "goroutines"))
			}
			mu.Lock()
			peak.RSS = max(peak.RSS, sm.RSS)
			peak.Fds = max(peak.Fds, sm.Fds)
			peak.Goroutines = max(peak.Goroutines, sm.Goroutines)
			mu.Unlock()
		}
	}()
	return func() sample {
		close(quit)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

// settle waits up to 15 s for goroutines and fds to come back within 10 of
// base and the heap within heapSlack bytes of it, and returns the last
// sample; it fails the test if they do not.
func (s *server) settle(t *testing.T, base sample, heapSlack int64) sample {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		now := s.sample(t)
		ok := now.Goroutines <= base.Goroutines+10 && now.Fds <= base.Fds+10 && now.Heap <= base.Heap+heapSlack
		if ok {
			return now
		}
		if time.Now().After(deadline) {
			t.Errorf("resources did not come back: goroutines %d (baseline %d), fds %d (%d), heap %d MB (%d MB + %d MB slack)",
				now.Goroutines, base.Goroutines, now.Fds, base.Fds, now.Heap>>20, base.Heap>>20, heapSlack>>20)
			return now
		}
		time.Sleep(200 * time.Millisecond)
	}
}
