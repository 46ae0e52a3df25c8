package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stompbox/stompbox/history"
)

// setHook makes fn run in every batch's transaction just before COMMIT.
func setHook(s *Store, fn func(*sql.Tx) error) {
	if fn == nil {
		s.w.beforeCommit.Store(nil)
		return
	}
	s.w.beforeCommit.Store(&fn)
}

// A failed transaction fails every write of its batch with the error, puts
// nothing of it in the database or in the writer's memory, and the store
// goes on with the next batch.
func TestFailedBatch(t *testing.T) {
	ctx := context.Background()
	s := open(t, Config{MaxRooms: 2, MaxNames: 1})
	defer s.Close()
	if _, _, err := s.Append(ctx, history.Message{Room: "a", Name: "ann", Content: "kept", TS: 1}); err != nil {
		t.Fatal(err)
	}

	injected := errors.New("disk on fire")
	var batches, largest atomic.Int64
	setHook(s, func(tx *sql.Tx) error {
		if batches.Add(1) == 1 {
			time.Sleep(50 * time.Millisecond) // let the others queue into one batch
		}
		var n int64
		if err := tx.QueryRow(`SELECT count(*) FROM messages`).Scan(&n); err != nil {
			return err
		}
		if n-1 > largest.Load() {
			largest.Store(n - 1)
		}
		return injected
	})
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n+2)
	for i := range n {
		wg.Go(func() {
			room := "a"
			if i%2 == 1 {
				room = "b" // a room created in a failed batch
			}
			_, _, errs[i] = s.Append(ctx, history.Message{Room: room, Name: "bob", Content: "lost", TS: 2, ClientID: fmt.Sprint(i)})
		})
	}
	wg.Go(func() { _, _, errs[n] = s.CreateRoom(ctx, "c", 3) })
	wg.Go(func() { errs[n+1] = s.Claim(ctx, "cyd", []byte("h1")) })
	wg.Wait()
	for i, err := range errs {
		if !errors.Is(err, injected) || !strings.HasPrefix(err.Error(), "history/sqlite: ") {
			t.Errorf("write %d in a failed batch: %v, want %q wrapped by history/sqlite", i, err, injected)
		}
	}
	if largest.Load() < 2 {
		t.Errorf("largest failed batch held %d appends; the test wants several in one", largest.Load())
	}

	setHook(s, nil)
	m, dup, err := s.Append(ctx, history.Message{Room: "a", Name: "bob", Content: "after", TS: 4, ClientID: "1"})
	if err != nil || dup || m.ID != 2 {
		t.Errorf("Append after the failure = %+v, dup %v, %v; want id 2, the failed ids not used, the client id free", m, dup, err)
	}
	// The rooms and the name of the failed batch were not kept, so they
	// still fit the budgets.
	if r, created, err := s.CreateRoom(ctx, "c", 5); err != nil || !created || r.Created != 5 {
		t.Errorf("CreateRoom(c) after the failure = %+v, %v, %v; want created now", r, created, err)
	}
	if err := s.Claim(ctx, "cyd", []byte("h2")); err != nil {
		t.Errorf("Claim(cyd) after the failure: %v; want the claim free", err)
	}
	rooms, err := s.Rooms(ctx)
	if err != nil || len(rooms) != 2 || rooms[0].Name != "a" || rooms[0].LastActivity != 4 || rooms[1].Name != "c" {
		t.Errorf("Rooms = %+v, %v; want a (last activity 4) and c", rooms, err)
	}
	if msgs, err := s.Messages(ctx, "a", history.Query{}); err != nil || len(msgs) != 2 {
		t.Errorf("room a holds %+v, %v; want kept and after", msgs, err)
	}
}

// A write the writer has taken is committed even if its caller's context
// ends; a write still waiting to be taken is dropped.
func TestContextEndsMidWrite(t *testing.T) {
	s := open(t, Config{})
	defer s.Close()
	inHook := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	setHook(s, func(*sql.Tx) error {
		once.Do(func() { close(inHook); <-release })
		return nil
	})

	ctx1, cancel1 := context.WithCancel(context.Background())
	done1 := make(chan error)
	go func() {
		_, _, err := s.Append(ctx1, history.Message{Room: "r", Name: "ann", Content: "taken", TS: 1})
		done1 <- err
	}()
	<-inHook // the writer is committing the batch holding "taken"
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan error)
	go func() {
		_, _, err := s.Append(ctx2, history.Message{Room: "r", Name: "ann", Content: "waiting", TS: 2})
		done2 <- err
	}()
	cancel1()
	cancel2()
	if err := <-done1; !errors.Is(err, context.Canceled) {
		t.Errorf("Append canceled in its batch: %v, want context.Canceled", err)
	}
	if err := <-done2; !errors.Is(err, context.Canceled) {
		t.Errorf("Append canceled before the writer took it: %v, want context.Canceled", err)
	}
	close(release)

	ctx := context.Background()
	if _, _, err := s.Append(ctx, history.Message{Room: "r", Name: "ann", Content: "next", TS: 3}); err != nil {
		t.Fatal(err) // and, being answered, shows the held batch is done
	}
	msgs, err := s.Messages(ctx, "r", history.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		got = append(got, m.Content)
	}
	if strings.Join(got, ",") != "taken,next" {
		t.Errorf("room holds %v, want [taken next]", got)
	}
}

// Close commits what was sent before it and refuses the rest; every Append
// that returned nil is in the file when it is opened again, and ids go on
// from there.
func TestCloseDrainsAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "h.db")
	s := open(t, Config{Path: path, MaxNames: 2})
	if err := s.Claim(ctx, "ann", []byte("h")); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	acked := map[int64]string{}
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := 0; ; i++ {
				content := fmt.Sprintf("g%d-%d", g, i)
				m, _, err := s.Append(ctx, history.Message{Room: "r", Name: "ann", Content: content, TS: int64(i)})
				if errors.Is(err, history.ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acked[m.ID] = content
				mu.Unlock()
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no append succeeded before Close")
	}

	s = open(t, Config{Path: path, MaxNames: 2})
	defer s.Close()
	stored := map[int64]string{}
	for before := int64(0); ; {
		page, err := s.Messages(ctx, "r", history.Query{Before: before, Limit: history.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page {
			stored[m.ID] = m.Content
		}
		if len(page) == 0 || page[0].ID == 1 {
			break
		}
		before = page[0].ID
	}
	for id, content := range acked {
		if stored[id] != content {
			t.Errorf("acknowledged id %d %q: stored %q", id, content, stored[id])
		}
	}
	m, _, err := s.Append(ctx, history.Message{Room: "r", Name: "bob", Content: "reopened", TS: 1})
	if err != nil || m.ID != int64(len(stored))+1 {
		t.Errorf("Append after reopening = id %d, %v; want %d", m.ID, err, len(stored)+1)
	}
	// The claim and the count of names came back too.
	if err := s.Claim(ctx, "ann", []byte("x")); !errors.Is(err, history.ErrNameTaken) {
		t.Errorf("Claim(ann) with another secret after reopening: %v, want ErrNameTaken", err)
	}
	if err := s.Claim(ctx, "bob", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := s.Claim(ctx, "cyd", []byte("x")); !errors.Is(err, history.ErrTooManyNames) {
		t.Errorf("third name with MaxNames 2 after reopening: %v, want ErrTooManyNames", err)
	}
}

func TestOpenPath(t *testing.T) {
	dir := t.TempDir()
	// A missing parent is made, private; a name that looks like URI syntax
	// is a file name all the same.
	path := filepath.Join(dir, "new", "deeper", "odd ?x=1#y%20.db")
	s := open(t, Config{Path: path})
	if _, _, err := s.Append(context.Background(), history.Message{Room: "r", Name: "ann", Content: "x", TS: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: %v", err)
	}
	fi, err := os.Stat(filepath.Dir(path))
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("parent directory: %v, %v; want mode 0700", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %v, want the database alone after Close", entries)
	}
}

func TestOpenConfig(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, Config{}); err == nil {
		t.Error("Open with no Path succeeded")
	}
	if _, err := Open(ctx, Config{Path: filepath.Join(t.TempDir(), "h.db"), Synchronous: "off"}); err == nil || !strings.Contains(err.Error(), "Synchronous") {
		t.Errorf("Open with Synchronous off: %v, want an error naming it", err)
	}
	for _, tt := range []struct{ sync, want string }{{"", "2"}, {"FULL", "2"}, {"normal", "1"}} {
		s := open(t, Config{Synchronous: tt.sync})
		var journal, syncMode, fk string
		err := s.wdb.QueryRow(`SELECT (SELECT journal_mode FROM pragma_journal_mode), (SELECT synchronous FROM pragma_synchronous), (SELECT foreign_keys FROM pragma_foreign_keys)`).Scan(&journal, &syncMode, &fk)
		if err != nil || journal != "wal" || syncMode != tt.want || fk != "1" {
			t.Errorf("Synchronous %q: journal_mode %s, synchronous %s, foreign_keys %s, %v; want wal, %s, 1", tt.sync, journal, syncMode, fk, err, tt.want)
		}
		if _, err := s.rdb.Exec(`INSERT INTO names VALUES ('x', x'00', 0)`); err == nil {
			t.Error("a read pool connection wrote")
		}
		s.Close()
	}
}
