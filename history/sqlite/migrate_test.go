package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stompbox/stompbox/history"
)

// rawDB opens path with the driver alone, as another program would.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", dsn(path, "_pragma=busy_timeout(5000)"))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func userVersion(t *testing.T, db *sql.DB) int {
	t.Helper()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func exec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// A database left at version 1 (rooms and messages, no name claims) by an
// older program is brought up to date at Open, its data kept.
func TestMigrateFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db := rawDB(t, path)
	if err := migrate(ctx, db, migrations[:1], quiet); err != nil {
		t.Fatal(err)
	}
	if v := userVersion(t, db); v != 1 {
		t.Fatalf("user_version %d after the first step, want 1", v)
	}
	exec(t, db, `INSERT INTO rooms (id, name, created, last_activity, last_id) VALUES (7, 'lobby', 100, 300, 3)`)
	for id := 1; id <= 3; id++ {
		exec(t, db, `INSERT INTO messages (room_id, id, name, content, ts, client_id) VALUES (7, ?, 'ann', 'old', ?, ?)`, id, 100*id, "c"+strconv.Itoa(id))
	}
	db.Close()

	s := open(t, Config{Path: path})
	defer s.Close()
	if v := userVersion(t, rawDB(t, path)); v != len(migrations) {
		t.Errorf("user_version %d after Open, want %d", v, len(migrations))
	}
	msgs, err := s.Messages(ctx, "lobby", history.Query{})
	if err != nil || len(msgs) != 3 || msgs[2].Content != "old" {
		t.Fatalf("old messages after migration: %+v, %v", msgs, err)
	}
	m, _, err := s.Append(ctx, history.Message{Room: "lobby", Name: "bob", Content: "new", TS: 400})
	if err != nil || m.ID != 4 {
		t.Errorf("Append after migration = %+v, %v; want id 4", m, err)
	}
	if _, dup, err := s.Append(ctx, history.Message{Room: "lobby", Name: "ann", Content: "again", TS: 500, ClientID: "c2"}); err != nil || !dup {
		t.Errorf("an old message's client id: dup %v, %v; want true", dup, err)
	}
	if err := s.Claim(ctx, "ann", []byte("h")); err != nil {
		t.Errorf("Claim after migration (the step that made names): %v", err)
	}
}

// A step that fails leaves the database at the version before it, with
// nothing of the step applied.
func TestMigrateStepFails(t *testing.T) {
	ctx := context.Background()
	db := rawDB(t, filepath.Join(t.TempDir(), "h.db"))
	steps := append(migrations[:len(migrations):len(migrations)], migration{"broken",
		`CREATE TABLE half (a INTEGER); INSERT INTO nowhere VALUES (1);`})
	err := migrate(ctx, db, steps, quiet)
	if err == nil || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("migrate with a broken step: %v, want an error naming it", err)
	}
	if v := userVersion(t, db); v != len(migrations) {
		t.Errorf("user_version %d after the broken step, want %d", v, len(migrations))
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'half'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the broken step's table exists (%d, %v); want it rolled back", n, err)
	}
}

// A database written by a newer version is refused and left alone.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s := open(t, Config{Path: path})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	newer := len(migrations) + 1
	exec(t, db, "PRAGMA user_version = "+strconv.Itoa(newer))

	_, err := Open(context.Background(), Config{Path: path, Logger: quiet})
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open of a newer database: %v, want ErrNewerSchema", err)
	}
	if !strings.Contains(err.Error(), "version "+strconv.Itoa(newer)) {
		t.Errorf("error %q does not say the database's version", err)
	}
	if v := userVersion(t, db); v != newer {
		t.Errorf("user_version %d after the refused Open, want %d untouched", v, newer)
	}
}

// Step 3 gives an older database its rooms' byte counts from the messages
// it holds, so the MaxBytes budget is right after the upgrade.
func TestMigrateRoomBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	s := open(t, Config{Path: path})
	ctx := context.Background()
	for range 3 {
		if _, _, err := s.Append(ctx, history.Message{Room: "r", Name: "ann", Content: strings.Repeat("x", 97), TS: 1}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	db := rawDB(t, path)
	exec(t, db, "ALTER TABLE rooms DROP COLUMN bytes")
	exec(t, db, "PRAGMA user_version = 2") // as before step 3
	db.Close()
	s = open(t, Config{Path: path, MaxBytes: 350}) // 3 lines of 100 held; one more passes it
	defer s.Close()
	if _, _, err := s.Append(ctx, history.Message{Room: "r", Name: "ann", Content: strings.Repeat("x", 97), TS: 2}); !errors.Is(err, history.ErrFull) {
		t.Fatalf("after the upgrade, a line past MaxBytes: %v, want ErrFull", err)
	}
}
