package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stompbox/stompbox/history"
	"github.com/stompbox/stompbox/history/historytest"
)

// open opens a store on a new file in t's temporary directory.
func open(t testing.TB, cfg Config) *Store {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "data", "history.db")
	}
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	for _, sync := range []string{"full", "normal"} {
		t.Run(sync, func(t *testing.T) {
			historytest.Run(t, func(t *testing.T, maxRooms, maxNames int) history.Store {
				return open(t, Config{MaxRooms: maxRooms, MaxNames: maxNames, Synchronous: sync})
			})
		})
	}
}
