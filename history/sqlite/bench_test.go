package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stompbox/stompbox/history"
)

// Benchmarks write under $STOMPBOX_BENCH_DIR if set (to measure a
// particular disk), else under the system temporary directory. fsync cost
// is the point of the synchronous=full runs, so a tmpfs there flatters them.
func benchDir(b *testing.B) string {
	b.Helper()
	dir, err := os.MkdirTemp(os.Getenv("STOMPBOX_BENCH_DIR"), "stompbox-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// BenchmarkAppend measures appends/s with many concurrent appenders, as a
// busy server has, spread over 16 rooms, each message with a client id.
func BenchmarkAppend(b *testing.B) {
	ctx := context.Background()
	for _, mode := range []string{"full", "normal"} {
		for _, appenders := range []int{1, 64, 256} {
			b.Run(fmt.Sprintf("sync=%s/appenders=%d", mode, appenders), func(b *testing.B) {
				s := open(b, Config{Path: filepath.Join(benchDir(b), "bench.db"), Synchronous: mode})
				defer s.Close()
				var next atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				for g := range appenders {
					wg.Go(func() {
						name := "user" + strconv.Itoa(g)
						for {
							i := next.Add(1)
							if i > int64(b.N) {
								return
							}
							m := history.Message{
								Room:     "room" + strconv.Itoa(int(i%16)),
								Name:     name,
								Content:  "a chat line of about sixty bytes, which is typical enough",
								TS:       1700000000000 + i,
								ClientID: strconv.FormatInt(i, 36),
							}
							if _, _, err := s.Append(ctx, m); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
			})
		}
	}
}

const bigRoom = 1_000_000 // messages in the fixture's big room

var fixture struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// bigFixture returns a database file whose room "big" holds 1,000,000
// messages (and room "small" 1,000), built once per test binary run with
// direct INSERTs in one transaction.
func bigFixture(b *testing.B) string {
	fixture.once.Do(func() {
		fixture.dir, fixture.err = os.MkdirTemp(os.Getenv("STOMPBOX_BENCH_DIR"), "stompbox-fixture-")
		if fixture.err != nil {
			return
		}
		fixture.path = filepath.Join(fixture.dir, "big.db")
		fixture.err = buildFixture(fixture.path)
	})
	if fixture.err != nil {
		b.Fatal(fixture.err)
	}
	return fixture.path
}

func buildFixture(path string) error {
	ctx := context.Background()
	s, err := Open(ctx, Config{Path: path, Synchronous: "normal", Logger: quiet}) // the schema
	if err != nil {
		return err
	}
	if err := s.Close(); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", dsn(path, "_pragma=journal_mode(WAL)", "_pragma=synchronous(off)"))
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{
		`INSERT INTO rooms (id, name, created, last_activity, last_id) VALUES
			(1, 'big', 1700000000000, 1700000000000 + 1000000, 1000000),
			(2, 'small', 1700000000000, 1700000000000 + 1000, 1000)`,
		`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000000)
			INSERT INTO messages (room_id, id, name, content, ts, client_id)
			SELECT 1, i, 'user' || (i % 100), 'message number ' || i || ', about as long as a chat line', 1700000000000 + i, 'c' || i FROM c`,
		`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000)
			INSERT INTO messages (room_id, id, name, content, ts, client_id)
			SELECT 2, i, 'user' || (i % 100), 'small room message ' || i, 1700000000000 + i, 's' || i FROM c`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// BenchmarkLatestPage reads the latest 50 messages of a room of 1,000,000.
func BenchmarkLatestPage(b *testing.B) {
	path := bigFixture(b)
	ctx := context.Background()
	s, err := Open(ctx, Config{Path: path, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	for b.Loop() {
		msgs, err := s.Messages(ctx, "big", history.Query{})
		if err != nil || len(msgs) != history.DefaultLimit || msgs[49].ID != bigRoom {
			b.Fatalf("Messages = %d messages, %v", len(msgs), err)
		}
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.dir != "" {
		os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

// BenchmarkOpen opens a database of 1,000,000 messages: what a restart
// costs before the store serves (migrations checked, rooms and budgets
// loaded).
func BenchmarkOpen(b *testing.B) {
	path := bigFixture(b)
	for b.Loop() {
		s, err := Open(context.Background(), Config{Path: path, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
