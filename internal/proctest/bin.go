package proctest

import (
	"os"
	"path/filepath"
	"testing"
)

// Bin is the stompbox binary under test: $STOMPBOX_BIN, or bin/stompbox
// at the root of the module holding the working directory (a test's
// package directory). It fails the test if the binary is not there.
func Bin(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("STOMPBOX_BIN")
	if bin == "" {
		bin = filepath.Join(moduleRoot(), "bin", "stompbox")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s: %v (run make build first)", bin, err)
	}
	return bin
}

// moduleRoot is the nearest directory up from the working directory that
// holds a go.mod, or "." if there is none.
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "."
		}
		dir = up
	}
}
