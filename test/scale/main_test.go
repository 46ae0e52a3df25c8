package scale

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stompbox/stompbox/internal/rabbittest"
)

// reportPath is the markdown file each test appends its table to.
var reportPath = filepath.Join("..", "..", "test-results", "scale.md")

// loadTime is how long each load runs (SCALE_SECONDS, default 10).
var loadTime = 10 * time.Second

// rabbit is the RabbitMQ all the tests share; each test's nodes declare
// their own exclusive queues on it, gone when the nodes stop.
var rabbit *rabbittest.Node

func TestMain(m *testing.M) {
	if os.Getenv("STOMPBOX_SCALE") != "1" {
		fmt.Println("scale: skipped; set STOMPBOX_SCALE=1")
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if n, err := strconv.Atoi(os.Getenv("SCALE_SECONDS")); err == nil && n > 0 {
		loadTime = time.Duration(n) * time.Second
	}
	// Thousands of sockets on each side; the nodes inherit the limit.
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
	var err error
	if rabbit, err = rabbittest.New(); err != nil {
		fmt.Fprintln(os.Stderr, "scale: RabbitMQ:", err)
		return 1
	}
	defer rabbit.Close()
	os.MkdirAll(filepath.Dir(reportPath), 0o755)
	head := fmt.Sprintf("# Scale measurements (issue 9)\n\n%s: %d CPU cores, shared by the load client, every node and RabbitMQ; "+
		"RabbitMQ %s on loopback; STOMP over TCP; %s of load per row.\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), rabbitVersion(), loadTime)
	if err := os.WriteFile(reportPath, []byte(head), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		return 1
	}
	code := m.Run()
	if b, err := os.ReadFile(reportPath); err == nil {
		fmt.Printf("\n%s\n", b)
	}
	return code
}

// report appends text to the report file.
func report(t *testing.T, text string) {
	t.Helper()
	f, err := os.OpenFile(reportPath, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Errorf("report: %v", err)
		return
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Errorf("report: %v", err)
	}
}
