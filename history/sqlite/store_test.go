package sqlite

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/stompbox/stompbox/history"
	"github.com/stompbox/stompbox/history/historytest"
)

// quiet is the tests' logger: migrations at every Open are not news.
var quiet = slog.New(slog.DiscardHandler)

// open opens a store on a new file in t's temporary directory.
func open(t testing.TB, cfg Config) *Store {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
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
	for _, mode := range []string{"full", "normal"} {
		t.Run(mode, func(t *testing.T) {
			historytest.Run(t, func(t *testing.T, maxRooms, maxNames int) history.Store {
				return open(t, Config{MaxRooms: maxRooms, MaxNames: maxNames, Synchronous: mode})
			})
		})
	}
}

// The bytes budget holds, and is counted again from the file at Open.
func TestMaxBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.db")
	s := open(t, Config{Path: path, MaxBytes: 1000})
	historytest.Bytes(t, s)
	// A retry of a stored line is answered even when the store is full.
	ctx := context.Background()
	first, _, err := s.Append(ctx, history.Message{Room: "r2", Name: "zed", Content: "", ClientID: "c", TS: 5})
	if !errors.Is(err, history.ErrFull) {
		t.Fatalf("a new line in a full store: %+v %v", first, err)
	}
	s.Close()
	s = open(t, Config{Path: path, MaxBytes: 1000})
	historytest.BytesAfterReopen(t, s)
	s.Close()
	s2 := open(t, Config{Path: path, MaxBytes: 2000})
	defer s2.Close()
	if _, _, err := s2.Append(ctx, history.Message{Room: "r", Name: "b", Content: "x", TS: 6}); err != nil {
		t.Fatalf("a larger budget takes the line: %v", err)
	}
}
