package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/stompbox/stompbox/history"
)

// A Store is a history.Store on PostgreSQL. Create it with Open.
type Store struct {
	cfg    Config
	pool   *pgxpool.Pool
	closed atomic.Bool

	mu        sync.Mutex
	bytes     int64     // the stored bytes, as of bytesAt plus this node's appends since
	bytesAt   time.Time // when bytes was read from the database
	closeOnce sync.Once
}

var _ history.Store = (*Store)(nil)

// Open connects, migrates the schema and returns the Store.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("history/postgres: %w", err)
	}
	pc.MaxConns = cfg.MaxConns
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("history/postgres: %w", err)
	}
	if err := migrate(ctx, pool, cfg.Logger); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{cfg: cfg, pool: pool}, nil
}

func (s *Store) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return history.ErrClosed
	}
	return nil
}

// Close closes the pool; later calls return history.ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return history.ErrClosed
	}
	s.pool.Close()
	return nil
}

// errDup ends an Append transaction whose (name, client id) was stored
// before: it is rolled back, so the id it took is given back.
var errDup = errors.New("duplicate client id")

// Append implements history.Store.
func (s *Store) Append(ctx context.Context, m history.Message) (history.Message, bool, error) {
	if err := s.check(ctx); err != nil {
		return history.Message{}, false, err
	}
	if m.ClientID != "" {
		if prev, ok, err := s.findClient(ctx, m); err != nil || ok {
			return prev, ok, err
		}
	}
	size := history.Size(m)
	if err := s.reserve(ctx, size); err != nil {
		return history.Message{}, false, err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		roomID, _, err := s.room(ctx, tx, m.Room, m.TS)
		if err != nil {
			return err
		}
		err = tx.QueryRow(ctx, `UPDATE rooms SET last_id = last_id + 1, last_activity = $2, bytes = bytes + $3
			WHERE id = $1 RETURNING last_id`, roomID, m.TS, size).Scan(&m.ID)
		if err != nil {
			return fmt.Errorf("next id: %w", err)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO messages (room_id, id, name, content, ts, client_id)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name, client_id) WHERE client_id <> '' DO NOTHING`,
			roomID, m.ID, m.Name, m.Content, m.TS, m.ClientID)
		if err != nil {
			return fmt.Errorf("insert message: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return errDup
		}
		return nil
	})
	switch {
	case errors.Is(err, errDup):
		s.release(size)
		prev, ok, err := s.findClient(ctx, m)
		if err == nil && !ok {
			err = errors.New("history/postgres: a client id conflicted, then was not found")
		}
		return prev, true, err
	case err != nil:
		s.release(size)
		return history.Message{}, false, wrap("append", err)
	}
	return m, false, nil
}

// wrap wraps a database error once; the store's sentinels pass as they are.
func wrap(what string, err error) error {
	if errors.Is(err, history.ErrTooManyRooms) || errors.Is(err, history.ErrTooManyNames) ||
		errors.Is(err, history.ErrFull) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("history/postgres: %s: %w", what, err)
}

// reserve counts size against MaxBytes, reading the total again when it is
// a second old.
func (s *Store) reserve(ctx context.Context, size int64) error {
	s.mu.Lock()
	stale := time.Since(s.bytesAt) > time.Second
	s.mu.Unlock()
	if stale {
		var total int64
		if err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(bytes), 0) FROM rooms`).Scan(&total); err != nil {
			return wrap("sum bytes", err)
		}
		s.mu.Lock()
		s.bytes, s.bytesAt = total, time.Now()
		s.mu.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bytes+size > s.cfg.MaxBytes {
		return fmt.Errorf("%w (%d bytes)", history.ErrFull, s.cfg.MaxBytes)
	}
	s.bytes += size
	return nil
}

func (s *Store) release(size int64) {
	s.mu.Lock()
	s.bytes -= size
	s.mu.Unlock()
}

// findClient looks up the message stored with m's (Name, ClientID).
func (s *Store) findClient(ctx context.Context, m history.Message) (history.Message, bool, error) {
	prev := history.Message{Name: m.Name, ClientID: m.ClientID}
	err := s.pool.QueryRow(ctx, `SELECT r.name, m.id, m.content, m.ts FROM messages m JOIN rooms r ON r.id = m.room_id
		WHERE m.name = $1 AND m.client_id = $2`, m.Name, m.ClientID).Scan(&prev.Room, &prev.ID, &prev.Content, &prev.TS)
	if errors.Is(err, pgx.ErrNoRows) {
		return history.Message{}, false, nil
	}
	if err != nil {
		return history.Message{}, false, wrap("find client id", err)
	}
	return prev, true, nil
}

// room returns room name's id in tx, creating it at now within MaxRooms.
func (s *Store) room(ctx context.Context, tx pgx.Tx, name string, now int64) (int64, bool, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO rooms (name, created, last_activity) VALUES ($1, $2, $2)
		ON CONFLICT (name) DO NOTHING RETURNING id`, name, now).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		if err := tx.QueryRow(ctx, `SELECT id FROM rooms WHERE name = $1`, name).Scan(&id); err != nil {
			return 0, false, fmt.Errorf("find room: %w", err)
		}
		return id, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("insert room: %w", err)
	}
	// A new room: count it, under the totals row's lock.
	var rooms int64
	if err := tx.QueryRow(ctx, `SELECT rooms FROM totals FOR UPDATE`).Scan(&rooms); err != nil {
		return 0, false, fmt.Errorf("count rooms: %w", err)
	}
	if rooms >= int64(s.cfg.MaxRooms) {
		return 0, false, fmt.Errorf("%w (%d)", history.ErrTooManyRooms, s.cfg.MaxRooms)
	}
	if _, err := tx.Exec(ctx, `UPDATE totals SET rooms = rooms + 1`); err != nil {
		return 0, false, fmt.Errorf("count rooms: %w", err)
	}
	return id, true, nil
}

// CreateRoom implements history.Store.
func (s *Store) CreateRoom(ctx context.Context, name string, now int64) (history.Room, bool, error) {
	if err := s.check(ctx); err != nil {
		return history.Room{}, false, err
	}
	var created bool
	var r history.Room
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if _, created, err = s.room(ctx, tx, name, now); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT name, created, last_activity FROM rooms WHERE name = $1`, name).
			Scan(&r.Name, &r.Created, &r.LastActivity)
	})
	if err != nil {
		return history.Room{}, false, wrap("create room", err)
	}
	return r, created, nil
}

// Rooms implements history.Store.
func (s *Store) Rooms(ctx context.Context) ([]history.Room, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT name, created, last_activity FROM rooms ORDER BY name`)
	if err != nil {
		return nil, wrap("rooms", err)
	}
	list := []history.Room{}
	for rows.Next() {
		var r history.Room
		if err := rows.Scan(&r.Name, &r.Created, &r.LastActivity); err != nil {
			return nil, wrap("rooms", err)
		}
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("rooms", err)
	}
	return list, nil
}

// Messages implements history.Store.
func (s *Store) Messages(ctx context.Context, room string, q history.Query) ([]history.Message, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	n, err := q.PageSize()
	if err != nil {
		return nil, err
	}
	const cols = `SELECT m.id, m.name, m.content, m.ts, m.client_id FROM messages m JOIN rooms r ON r.id = m.room_id WHERE r.name = $1`
	var rows pgx.Rows
	if q.After > 0 {
		rows, err = s.pool.Query(ctx, cols+` AND m.id > $2::bigint ORDER BY m.id LIMIT $3`, room, q.After, n)
	} else {
		rows, err = s.pool.Query(ctx, `SELECT * FROM (`+cols+` AND ($2::bigint <= 0 OR m.id < $2::bigint) ORDER BY m.id DESC LIMIT $3) t ORDER BY id`, room, q.Before, n)
	}
	if err != nil {
		return nil, wrap("messages", err)
	}
	list := []history.Message{}
	for rows.Next() {
		m := history.Message{Room: room}
		if err := rows.Scan(&m.ID, &m.Name, &m.Content, &m.TS, &m.ClientID); err != nil {
			return nil, wrap("messages", err)
		}
		list = append(list, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("messages", err)
	}
	return list, nil
}

// Claim implements history.Store.
func (s *Store) Claim(ctx context.Context, name string, secretHash []byte) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	var stored []byte
	err := s.pool.QueryRow(ctx, `SELECT hash FROM names WHERE name = $1`, name).Scan(&stored)
	if err == nil {
		return history.SameSecret(stored, secretHash)
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return wrap("claim", err)
	}
	if len(secretHash) == 0 {
		return nil // only a check, and the name is free
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var names int64
		if err := tx.QueryRow(ctx, `SELECT names FROM totals FOR UPDATE`).Scan(&names); err != nil {
			return err
		}
		// Under the lock: a claim made meanwhile by another node is seen.
		err := tx.QueryRow(ctx, `SELECT hash FROM names WHERE name = $1`, name).Scan(&stored)
		if err == nil {
			return history.SameSecret(stored, secretHash)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if names >= int64(s.cfg.MaxNames) {
			return fmt.Errorf("%w (%d)", history.ErrTooManyNames, s.cfg.MaxNames)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO names (name, hash, created) VALUES ($1, $2, $3)`, name, secretHash, time.Now().UnixMilli()); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE totals SET names = names + 1`)
		return err
	})
	if errors.Is(err, history.ErrNameTaken) {
		return err
	}
	return wrapNil("claim", err)
}

func wrapNil(what string, err error) error {
	if err == nil {
		return nil
	}
	return wrap(what, err)
}
