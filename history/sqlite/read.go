package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/stompbox/stompbox/history"
)

// readStmts are the queries of the read pool, prepared once.
type readStmts struct {
	latest, after, rooms, room, name *sql.Stmt
}

const (
	latestQuery = `SELECT id, name, content, ts, client_id FROM messages
WHERE room_id = (SELECT id FROM rooms WHERE name = ?) AND id < ?
ORDER BY id DESC LIMIT ?`
	afterQuery = `SELECT id, name, content, ts, client_id FROM messages
WHERE room_id = (SELECT id FROM rooms WHERE name = ?) AND id > ?
ORDER BY id LIMIT ?`
	roomsQuery = `SELECT name, created, last_activity FROM rooms ORDER BY name`
	roomQuery  = `SELECT created, last_activity FROM rooms WHERE name = ?`
	nameQuery  = `SELECT hash FROM names WHERE name = ?`
)

func (r *readStmts) prepare(ctx context.Context, db *sql.DB) error {
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&r.latest, latestQuery},
		{&r.after, afterQuery},
		{&r.rooms, roomsQuery},
		{&r.room, roomQuery},
		{&r.name, nameQuery},
	} {
		var err error
		if *p.stmt, err = db.PrepareContext(ctx, p.query); err != nil {
			return fmt.Errorf("history/sqlite: prepare: %w", err)
		}
	}
	return nil
}

func (r *readStmts) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{r.latest, r.after, r.rooms, r.room, r.name} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// Messages implements history.Store. It reads from the read pool and does
// not wait for the writer; it sees every write that has returned.
func (s *Store) Messages(ctx context.Context, room string, q history.Query) ([]history.Message, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	n, err := q.PageSize()
	if err != nil {
		return nil, err
	}
	var rows *sql.Rows
	if q.After > 0 {
		rows, err = s.reads.after.QueryContext(ctx, room, q.After, n)
	} else {
		before := int64(math.MaxInt64)
		if q.Before > 0 {
			before = q.Before
		}
		rows, err = s.reads.latest.QueryContext(ctx, room, before, n)
	}
	if err != nil {
		return nil, s.readErr("messages", err)
	}
	defer rows.Close()
	msgs := make([]history.Message, 0, min(n, 64))
	for rows.Next() {
		m := history.Message{Room: room}
		if err := rows.Scan(&m.ID, &m.Name, &m.Content, &m.TS, &m.ClientID); err != nil {
			return nil, s.readErr("messages", err)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.readErr("messages", err)
	}
	if q.After <= 0 {
		slices.Reverse(msgs) // read newest first, returned oldest first
	}
	return msgs, nil
}

// Rooms implements history.Store.
func (s *Store) Rooms(ctx context.Context) ([]history.Room, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	rows, err := s.reads.rooms.QueryContext(ctx)
	if err != nil {
		return nil, s.readErr("rooms", err)
	}
	defer rows.Close()
	rooms := []history.Room{}
	for rows.Next() {
		var r history.Room
		if err := rows.Scan(&r.Name, &r.Created, &r.LastActivity); err != nil {
			return nil, s.readErr("rooms", err)
		}
		rooms = append(rooms, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.readErr("rooms", err)
	}
	return rooms, nil
}

// findRoom reads room name as committed.
func (r *readStmts) findRoom(ctx context.Context, name string) (history.Room, bool, error) {
	room := history.Room{Name: name}
	err := r.room.QueryRowContext(ctx, name).Scan(&room.Created, &room.LastActivity)
	if errors.Is(err, sql.ErrNoRows) {
		return history.Room{}, false, nil
	}
	return room, err == nil, err
}

// findName reads the hash claimed for name, as committed.
func (r *readStmts) findName(ctx context.Context, name string) ([]byte, bool, error) {
	var hash []byte
	err := r.name.QueryRowContext(ctx, name).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	return hash, err == nil, err
}
