package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/stompbox/stompbox/history"
)

// The writer is the one goroutine that writes: Append, CreateRoom and
// Claim send it a request and wait for the reply. It takes every request
// pending (up to Config.MaxBatch), applies them in one transaction, commits
// once (one fsync for the lot) and then answers each caller. It keeps every
// room's state (id, last message id, times) and the number of claimed names
// in memory, so budgets and ids cost no query; a failed transaction puts
// them back as they were.
type writer struct {
	db    *sql.DB
	cfg   Config
	log   *slog.Logger
	stmts writeStmts

	reqs    chan *request // unbuffered: a request sent is a request taken
	closing chan struct{} // closed by stop
	done    chan struct{} // closed when run returns

	rooms map[string]*roomState
	names int   // claimed names
	bytes int64 // history.Size of every stored message

	// beforeCommit, when set (by tests), runs inside each batch's
	// transaction just before COMMIT; an error fails the batch.
	beforeCommit atomic.Pointer[func(*sql.Tx) error]
}

type op uint8

const (
	opAppend op = iota
	opCreateRoom
	opClaim
)

// A request is one write waiting for the writer.
type request struct {
	ctx   context.Context
	op    op
	msg   history.Message // opAppend
	name  string          // opCreateRoom, opClaim
	now   int64           // opCreateRoom
	hash  []byte          // opClaim
	reply chan result     // buffered (1): the writer never waits for a caller
}

// A result answers a request. err is the request's own outcome (a budget,
// a name taken); a failed transaction is reported the same way, to all.
type result struct {
	msg  history.Message
	room history.Room
	flag bool // Append: dup; CreateRoom: created
	err  error
}

type roomState struct {
	id     int64 // rooms.id
	room   history.Room
	lastID int64 // the last message id given out
	bytes  int64 // history.Size of its messages (rooms.bytes)
}

// writeStmts are the writer's statements, prepared once on its connection.
type writeStmts struct {
	insertRoom, updateRoom, insertMsg, findClient, findName, insertName *sql.Stmt
}

const (
	insertRoomSQL = `INSERT INTO rooms (name, created, last_activity, last_id) VALUES (?, ?, ?, 0) RETURNING id`
	updateRoomSQL = `UPDATE rooms SET last_id = ?, last_activity = ?, bytes = ? WHERE id = ?`
	// A (name, client_id) seen before makes the insert do nothing
	// (messages_client); the writer then looks the earlier message up.
	insertMsgSQL  = `INSERT INTO messages (room_id, id, name, content, ts, client_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	findClientSQL = `SELECT r.name, m.id, m.content, m.ts FROM messages m JOIN rooms r ON r.id = m.room_id
WHERE m.name = ? AND m.client_id = ? AND m.client_id != ''`
	findNameSQL   = `SELECT hash FROM names WHERE name = ?`
	insertNameSQL = `INSERT INTO names (name, hash, created) VALUES (?, ?, ?)`
)

// newWriter loads the writer's state from db and prepares its statements.
func newWriter(ctx context.Context, db *sql.DB, cfg Config) (*writer, error) {
	w := &writer{
		db:      db,
		cfg:     cfg,
		log:     cfg.Logger,
		reqs:    make(chan *request),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
		rooms:   make(map[string]*roomState),
	}
	if err := w.load(ctx); err != nil {
		return nil, err
	}
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&w.stmts.insertRoom, insertRoomSQL},
		{&w.stmts.updateRoom, updateRoomSQL},
		{&w.stmts.insertMsg, insertMsgSQL},
		{&w.stmts.findClient, findClientSQL},
		{&w.stmts.findName, findNameSQL},
		{&w.stmts.insertName, insertNameSQL},
	} {
		var err error
		if *p.stmt, err = db.PrepareContext(ctx, p.query); err != nil {
			w.close()
			return nil, fmt.Errorf("history/sqlite: prepare: %w", err)
		}
	}
	return w, nil
}

func (w *writer) load(ctx context.Context) error {
	rows, err := w.db.QueryContext(ctx, `SELECT id, name, created, last_activity, last_id, bytes FROM rooms`)
	if err != nil {
		return fmt.Errorf("history/sqlite: load rooms: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		rs := new(roomState)
		if err := rows.Scan(&rs.id, &rs.room.Name, &rs.room.Created, &rs.room.LastActivity, &rs.lastID, &rs.bytes); err != nil {
			return fmt.Errorf("history/sqlite: load rooms: %w", err)
		}
		w.rooms[rs.room.Name] = rs
		w.bytes += rs.bytes
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("history/sqlite: load rooms: %w", err)
	}
	if err := w.db.QueryRowContext(ctx, `SELECT count(*) FROM names`).Scan(&w.names); err != nil {
		return fmt.Errorf("history/sqlite: count names: %w", err)
	}
	return nil
}

// close closes the writer's statements. The caller closes the database.
func (w *writer) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{w.stmts.insertRoom, w.stmts.updateRoom, w.stmts.insertMsg, w.stmts.findClient, w.stmts.findName, w.stmts.insertName} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}

// write sends r to the writer and waits for its result. An error returned
// here is the caller's (ctx, ErrClosed); the request's own is in result.err.
func (s *Store) write(ctx context.Context, r *request) (result, error) {
	if err := s.check(ctx); err != nil {
		return result{}, err
	}
	r.ctx = ctx
	r.reply = make(chan result, 1)
	select {
	case s.w.reqs <- r:
	case <-ctx.Done():
		return result{}, ctx.Err()
	case <-s.w.closing:
		return result{}, history.ErrClosed
	}
	select {
	case res := <-r.reply:
		return res, nil
	case <-ctx.Done():
		return result{}, ctx.Err() // the write may still commit
	}
}

// stop makes the writer commit what it has been sent and return; it waits
// for that.
func (w *writer) stop() {
	close(w.closing)
	<-w.done
}

func (w *writer) run() {
	defer close(w.done)
	batch := make([]*request, 0, w.cfg.MaxBatch)
	for {
		select {
		case r := <-w.reqs:
			batch = append(batch, r)
		case <-w.closing:
			// Callers that had sent before Close are still answered;
			// callers arriving now see closing and give up.
			for {
				batch = w.gather(batch)
				if len(batch) == 0 {
					return
				}
				batch = w.commit(batch)
			}
		}
		batch = w.commit(w.gather(batch))
	}
}

// gather adds the requests pending, without waiting, up to MaxBatch.
func (w *writer) gather(batch []*request) []*request {
	for len(batch) < w.cfg.MaxBatch {
		select {
		case r := <-w.reqs:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// A batch is the state of one transaction: the results so far, and how to
// put the writer's memory back if it fails.
type batch struct {
	tx      *sql.Tx
	stmts   writeStmts // bound to tx
	results []result
	saved   map[string]*roomState // room state before the batch; nil for a new room
	names   int                   // w.names before the batch
	bytes   int64                 // w.bytes before the batch
}

// commit applies batch in one transaction and answers every request; it
// returns batch emptied for reuse.
func (w *writer) commit(reqs []*request) []*request {
	// A caller whose ctx ended before the writer took its request has gone;
	// skip the write rather than store what nobody will hear about.
	live := reqs[:0:0]
	for _, r := range reqs {
		if err := r.ctx.Err(); err != nil {
			r.reply <- result{err: err}
			continue
		}
		live = append(live, r)
	}
	if len(live) > 0 {
		b := &batch{results: make([]result, len(live)), saved: make(map[string]*roomState), names: w.names, bytes: w.bytes}
		err := w.apply(b, live)
		if err != nil {
			w.undo(b)
			err = fmt.Errorf("history/sqlite: commit %d writes: %w", len(live), err)
			w.log.Error("history/sqlite: batch failed", "writes", len(live), "err", err)
			for i := range b.results {
				b.results[i] = result{err: err}
			}
		}
		for i, r := range live {
			r.reply <- b.results[i]
		}
	}
	clear(reqs)
	return reqs[:0]
}

// apply runs reqs in one transaction and commits it.
func (w *writer) apply(b *batch, reqs []*request) (err error) {
	ctx := context.Background() // a batch, once begun, is not canceled
	b.tx, err = w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			b.tx.Rollback()
		}
	}()
	b.stmts = writeStmts{
		insertRoom: b.tx.StmtContext(ctx, w.stmts.insertRoom),
		updateRoom: b.tx.StmtContext(ctx, w.stmts.updateRoom),
		insertMsg:  b.tx.StmtContext(ctx, w.stmts.insertMsg),
		findClient: b.tx.StmtContext(ctx, w.stmts.findClient),
		findName:   b.tx.StmtContext(ctx, w.stmts.findName),
		insertName: b.tx.StmtContext(ctx, w.stmts.insertName),
	}
	for i, r := range reqs {
		switch r.op {
		case opAppend:
			b.results[i], err = w.append(ctx, b, r.msg)
		case opCreateRoom:
			b.results[i], err = w.createRoom(ctx, b, r.name, r.now)
		case opClaim:
			b.results[i], err = w.claim(ctx, b, r.name, r.hash)
		}
		if err != nil {
			return err
		}
	}
	// One update per room touched, with its final state.
	for name, old := range b.saved {
		rs := w.rooms[name]
		if old == nil && rs.lastID == 0 || old != nil && *old == *rs {
			continue // inserted as it is, or unchanged
		}
		if _, err := b.stmts.updateRoom.ExecContext(ctx, rs.lastID, rs.room.LastActivity, rs.bytes, rs.id); err != nil {
			return fmt.Errorf("update room: %w", err)
		}
	}
	if hook := w.beforeCommit.Load(); hook != nil {
		if err := (*hook)(b.tx); err != nil {
			return err
		}
	}
	return b.tx.Commit()
}

// undo puts the writer's memory back as it was before b.
func (w *writer) undo(b *batch) {
	for name, old := range b.saved {
		if old == nil {
			delete(w.rooms, name)
		} else {
			*w.rooms[name] = *old
		}
	}
	w.names = b.names
	w.bytes = b.bytes
}

// touch returns room name's state for changing in b, saving it first.
func (w *writer) touch(b *batch, rs *roomState) {
	if _, ok := b.saved[rs.room.Name]; !ok {
		old := *rs
		b.saved[rs.room.Name] = &old
	}
}

// room returns room name, creating it at now within MaxRooms. A budget
// error is the request's (in result), a database error the batch's.
func (w *writer) room(ctx context.Context, b *batch, name string, now int64) (rs *roomState, created bool, reqErr, err error) {
	if rs := w.rooms[name]; rs != nil {
		return rs, false, nil, nil
	}
	if len(w.rooms) >= w.cfg.MaxRooms {
		return nil, false, fmt.Errorf("%w (%d)", history.ErrTooManyRooms, w.cfg.MaxRooms), nil
	}
	rs = &roomState{room: history.Room{Name: name, Created: now, LastActivity: now}}
	if err := b.stmts.insertRoom.QueryRowContext(ctx, name, now, now).Scan(&rs.id); err != nil {
		return nil, false, nil, fmt.Errorf("create room: %w", err)
	}
	w.rooms[name] = rs
	b.saved[name] = nil
	return rs, true, nil, nil
}

func (w *writer) append(ctx context.Context, b *batch, m history.Message) (result, error) {
	if m.ClientID != "" && w.rooms[m.Room] == nil {
		// A retry must find its message even where the room could not be
		// made now (MaxRooms): look before creating.
		if prev, found, err := w.findClient(ctx, b, m); err != nil || found {
			return result{msg: prev, flag: found}, err
		}
	}
	if w.bytes+history.Size(m) > w.cfg.MaxBytes {
		if m.ClientID != "" { // a retry of a stored line is still answered
			if prev, found, err := w.findClient(ctx, b, m); err != nil || found {
				return result{msg: prev, flag: found}, err
			}
		}
		return result{err: fmt.Errorf("%w (%d bytes)", history.ErrFull, w.cfg.MaxBytes)}, nil
	}
	rs, _, reqErr, err := w.room(ctx, b, m.Room, m.TS)
	if err != nil || reqErr != nil {
		return result{err: reqErr}, err
	}
	m.ID = rs.lastID + 1
	res, err := b.stmts.insertMsg.ExecContext(ctx, rs.id, m.ID, m.Name, m.Content, m.TS, m.ClientID)
	if err != nil {
		return result{}, fmt.Errorf("insert message: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return result{}, fmt.Errorf("insert message: %w", err)
	} else if n == 0 {
		// (Name, ClientID) was stored before.
		prev, found, err := w.findClient(ctx, b, m)
		if err == nil && !found {
			err = fmt.Errorf("insert message: room %d id %d refused, yet no earlier (name, client id)", rs.id, m.ID)
		}
		return result{msg: prev, flag: true}, err
	}
	w.touch(b, rs)
	w.bytes += history.Size(m)
	rs.bytes += history.Size(m)
	rs.lastID = m.ID
	rs.room.LastActivity = m.TS
	return result{msg: m}, nil
}

// findClient looks up the message stored with m's (Name, ClientID).
func (w *writer) findClient(ctx context.Context, b *batch, m history.Message) (history.Message, bool, error) {
	prev := history.Message{Name: m.Name, ClientID: m.ClientID}
	err := b.stmts.findClient.QueryRowContext(ctx, m.Name, m.ClientID).Scan(&prev.Room, &prev.ID, &prev.Content, &prev.TS)
	if errors.Is(err, sql.ErrNoRows) {
		return history.Message{}, false, nil
	}
	if err != nil {
		return history.Message{}, false, fmt.Errorf("find client id: %w", err)
	}
	return prev, true, nil
}

func (w *writer) createRoom(ctx context.Context, b *batch, name string, now int64) (result, error) {
	rs, created, reqErr, err := w.room(ctx, b, name, now)
	if err != nil || reqErr != nil {
		return result{err: reqErr}, err
	}
	return result{room: rs.room, flag: created}, nil
}

func (w *writer) claim(ctx context.Context, b *batch, name string, hash []byte) (result, error) {
	var stored []byte
	err := b.stmts.findName.QueryRowContext(ctx, name).Scan(&stored)
	switch {
	case err == nil:
		return result{err: history.SameSecret(stored, hash)}, nil
	case !errors.Is(err, sql.ErrNoRows):
		return result{}, fmt.Errorf("find name: %w", err)
	}
	if len(hash) == 0 {
		return result{}, nil // only a check, and the name is free
	}
	if w.names >= w.cfg.MaxNames {
		return result{err: fmt.Errorf("%w (%d)", history.ErrTooManyNames, w.cfg.MaxNames)}, nil
	}
	if _, err := b.stmts.insertName.ExecContext(ctx, name, slices.Clone(hash), time.Now().UnixMilli()); err != nil {
		return result{}, fmt.Errorf("insert name: %w", err)
	}
	w.names++
	return result{}, nil
}
