package hostile

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// scale multiplies counts and durations (HOSTILE_SCALE, default 1).
var scale = 1

// reportPath is the table each case appends its row to.
var reportPath = filepath.Join("..", "..", "test-results", "hostile.md")

func TestMain(m *testing.M) {
	if os.Getenv("STOMPBOX_HOSTILE") != "1" {
		fmt.Println("hostile: skipped; set STOMPBOX_HOSTILE=1 (make hostile does)")
		os.Exit(0)
	}
	if n, err := strconv.Atoi(os.Getenv("HOSTILE_SCALE")); err == nil && n > 0 {
		scale = n
	}
	// The attacks hold thousands of sockets; the server inherits the limit.
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Cur < rl.Max {
		rl.Cur = rl.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
	os.MkdirAll(filepath.Dir(reportPath), 0o755)
	os.WriteFile(reportPath, []byte(fmt.Sprintf("# Hostile-load suite (HOSTILE_SCALE=%d)\n\n"+
		"| case | RSS MB before / peak / after | goroutines before / peak / after | fds before / peak / after | bystander p50 / p99 | sent / lost | result |\n"+
		"|---|---|---|---|---|---|---|\n", scale)), 0o644)
	os.Exit(m.Run())
}
