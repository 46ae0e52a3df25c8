package postgres

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/stompbox/stompbox/history"
	"github.com/stompbox/stompbox/history/historytest"
)

var quiet = slog.New(slog.DiscardHandler)

func open(t testing.TB, cfg Config) *Store {
	t.Helper()
	if cfg.URL == "" {
		cfg.URL = newDatabase(t)
	}
	cfg.Logger = quiet
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	historytest.Run(t, func(t *testing.T, maxRooms, maxNames int) history.Store {
		return open(t, Config{MaxRooms: maxRooms, MaxNames: maxNames, MaxConns: 4})
	})
}

func TestMaxBytes(t *testing.T) {
	s := open(t, Config{MaxBytes: 1000})
	defer s.Close()
	historytest.Bytes(t, s)
}

// Two stores on one database are two nodes: ids in a room stay unique and
// gapless across them, budgets are shared, a claim made on one is seen on
// the other, and the schema is migrated once.
func TestTwoNodes(t *testing.T) {
	url := newDatabase(t)
	var a, b *Store
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a = open(t, Config{URL: url, MaxRooms: 3}) }() // migrating together
	go func() { defer wg.Done(); b = open(t, Config{URL: url, MaxRooms: 3}) }()
	wg.Wait()
	defer a.Close()
	defer b.Close()
	ctx := context.Background()
	const n = 200
	var mu sync.Mutex
	ids := map[int64]bool{}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := a
			if i%2 == 1 {
				s = b
			}
			m, _, err := s.Append(ctx, history.Message{Room: "lobby", Name: "n", Content: "x", TS: int64(i)})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ids[m.ID] = true
			mu.Unlock()
		}()
	}
	wg.Wait()
	for id := int64(1); id <= n; id++ {
		if !ids[id] {
			t.Fatalf("id %d missing: %d ids for %d appends from two nodes", id, len(ids), n)
		}
	}
	if _, _, err := a.CreateRoom(ctx, "r2", 1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.CreateRoom(ctx, "r3", 1); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.CreateRoom(ctx, "r4", 1); !errors.Is(err, history.ErrTooManyRooms) {
		t.Fatalf("a fourth room across two nodes with MaxRooms 3: %v", err)
	}
	if err := a.Claim(ctx, "홍길동", []byte("secret-hash")); err != nil {
		t.Fatal(err)
	}
	if err := b.Claim(ctx, "홍길동", []byte("another")); !errors.Is(err, history.ErrNameTaken) {
		t.Fatalf("a claim made on node a, tried on b with another secret: %v", err)
	}
	page, err := b.Messages(ctx, "lobby", history.Query{Limit: 5})
	if err != nil || len(page) != 5 || page[4].ID != n {
		t.Fatalf("node b reads node a's lines: %v %v", page, err)
	}
}

// A database from a newer version is refused and left alone.
func TestNewerSchemaRefused(t *testing.T) {
	url := newDatabase(t)
	s := open(t, Config{URL: url})
	if _, err := s.pool.Exec(context.Background(), `UPDATE schema_version SET version = 99`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(context.Background(), Config{URL: url, Logger: quiet}); !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}
