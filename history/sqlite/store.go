package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/stompbox/stompbox/history"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// Store is a history.Store in one SQLite file. Its zero value is not
// usable; call Open.
type Store struct {
	cfg    Config
	wdb    *sql.DB // one connection, used by the writer goroutine alone
	rdb    *sql.DB // the read pool: query_only connections
	reads  readStmts
	w      *writer
	closed atomic.Bool
}

var _ history.Store = (*Store)(nil)

// readers is the size of the read pool. Reads run in Go (the driver is
// pure Go), so more connections than CPUs buy little.
var readers = max(4, runtime.GOMAXPROCS(0))

// Open opens (creating if need be) the database at cfg.Path, brings its
// schema up to date and starts the writer. A database from a newer version
// of this package is refused with an error wrapping ErrNewerSchema.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o700); err != nil {
		return nil, fmt.Errorf("history/sqlite: open: %w", err)
	}
	s := &Store{cfg: cfg}
	ok := false
	defer func() {
		if !ok {
			s.closeDBs()
		}
	}()

	var err error
	// The writer's connection: WAL, so readers never wait for it; IMMEDIATE
	// transactions, so it takes the write lock up front rather than fail
	// midway if another process holds it.
	s.wdb, err = sql.Open("sqlite", dsn(cfg.Path,
		"_txlock=immediate",
		"_pragma=busy_timeout(10000)",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous("+cfg.Synchronous+")",
		"_pragma=foreign_keys(1)",
	))
	if err != nil {
		return nil, fmt.Errorf("history/sqlite: open: %w", err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetMaxIdleConns(1)
	s.wdb.SetConnMaxIdleTime(0)
	s.wdb.SetConnMaxLifetime(0)
	if err := migrate(ctx, s.wdb, migrations, cfg.Logger); err != nil {
		return nil, err
	}

	s.rdb, err = sql.Open("sqlite", dsn(cfg.Path,
		"_pragma=busy_timeout(10000)",
		"_pragma=query_only(1)",
	))
	if err != nil {
		return nil, fmt.Errorf("history/sqlite: open: %w", err)
	}
	s.rdb.SetMaxOpenConns(readers)
	s.rdb.SetMaxIdleConns(readers)
	s.rdb.SetConnMaxIdleTime(0)
	s.rdb.SetConnMaxLifetime(0)
	if err := s.reads.prepare(ctx, s.rdb); err != nil {
		return nil, err
	}

	s.w, err = newWriter(ctx, s.wdb, cfg)
	if err != nil {
		return nil, err
	}
	go s.w.run()
	ok = true
	return s, nil
}

// dsn is the driver's name for the file at path with query parameters.
// The path goes in a file: URI, its '%', '?' and '#' escaped, so that
// no file name can be mistaken for parameters.
func dsn(path string, params ...string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	path = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
	for i, p := range params {
		k, v, _ := strings.Cut(p, "=")
		params[i] = k + "=" + url.QueryEscape(v)
	}
	return "file:" + path + "?" + strings.Join(params, "&")
}

// Close stops taking writes, commits those already sent, then closes the
// database. Later calls, Close too, return history.ErrClosed.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return history.ErrClosed
	}
	s.w.stop()
	if err := s.closeDBs(); err != nil {
		return fmt.Errorf("history/sqlite: close: %w", err)
	}
	return nil
}

func (s *Store) closeDBs() error {
	var errs []error
	if s.rdb != nil {
		errs = append(errs, s.reads.close(), s.rdb.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.close())
	}
	if s.wdb != nil {
		errs = append(errs, s.wdb.Close())
	}
	return errors.Join(errs...)
}

// Append implements history.Store. Once the writer has taken the message
// into a batch it is committed even if ctx ends meanwhile; the caller then
// gets ctx.Err() and does not learn its id (a retry with the same ClientID
// finds it).
func (s *Store) Append(ctx context.Context, m history.Message) (history.Message, bool, error) {
	res, err := s.write(ctx, &request{op: opAppend, msg: m})
	if err != nil {
		return history.Message{}, false, err
	}
	return res.msg, res.flag, res.err
}

// CreateRoom implements history.Store. An existing room is found in the
// read pool without waiting for the writer. As with Append, a room the
// writer has taken is created even if ctx ends meanwhile.
func (s *Store) CreateRoom(ctx context.Context, name string, now int64) (history.Room, bool, error) {
	if err := s.check(ctx); err != nil {
		return history.Room{}, false, err
	}
	r, found, err := s.reads.findRoom(ctx, name)
	if err != nil {
		return history.Room{}, false, s.readErr("create room", err)
	}
	if found {
		return r, false, nil
	}
	res, err := s.write(ctx, &request{op: opCreateRoom, name: name, now: now})
	if err != nil {
		return history.Room{}, false, err
	}
	return res.room, res.flag, res.err
}

// Claim implements history.Store. A name already claimed is checked in the
// read pool without waiting for the writer (claims never change).
func (s *Store) Claim(ctx context.Context, name string, secretHash []byte) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	hash, found, err := s.reads.findName(ctx, name)
	if err != nil {
		return s.readErr("claim", err)
	}
	if found {
		return history.SameSecret(hash, secretHash)
	}
	if len(secretHash) == 0 {
		return nil // only a check, and the name is free
	}
	res, err := s.write(ctx, &request{op: opClaim, name: name, hash: secretHash})
	if err != nil {
		return err
	}
	return res.err
}

// check returns ctx's error, or ErrClosed once Close has begun.
func (s *Store) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return history.ErrClosed
	}
	return nil
}

// readErr wraps an error of the read pool, or reports ErrClosed if Close
// closed the pool under the read.
func (s *Store) readErr(op string, err error) error {
	if s.closed.Load() {
		return history.ErrClosed
	}
	return fmt.Errorf("history/sqlite: %s: %w", op, err)
}
