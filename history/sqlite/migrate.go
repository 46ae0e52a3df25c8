package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
)

// ErrNewerSchema is returned by Open for a database written by a newer
// version of this package: its schema version is past the last migration
// this version knows, and it is left untouched.
var ErrNewerSchema = errors.New("history/sqlite: database schema is newer than this program")

// A migration is one step of the schema. Step i (0-based) takes a database
// from version i to i+1; the version is SQLite's PRAGMA user_version, 0 in a
// new file. Steps are only ever appended: a released step never changes.
type migration struct {
	name string
	sql  string
}

// migrations is the schema, in order.
//
// rooms.last_id is the last message id given out in the room, so ids are
// never reused even if old messages are pruned one day. messages is keyed
// (room_id, id) WITHOUT ROWID: a room's messages are stored together, in id
// order, so a page is one range scan. messages_client makes (name,
// client_id) unique for the messages that have a client id.
var migrations = []migration{
	{"rooms and messages", `
CREATE TABLE rooms (
	id            INTEGER PRIMARY KEY,
	name          TEXT    NOT NULL UNIQUE,
	created       INTEGER NOT NULL,
	last_activity INTEGER NOT NULL,
	last_id       INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE messages (
	room_id   INTEGER NOT NULL REFERENCES rooms (id),
	id        INTEGER NOT NULL,
	name      TEXT    NOT NULL,
	content   TEXT    NOT NULL,
	ts        INTEGER NOT NULL,
	client_id TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (room_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX messages_client ON messages (name, client_id) WHERE client_id != '';
`},
	{"name claims", `
CREATE TABLE names (
	name    TEXT    NOT NULL PRIMARY KEY,
	hash    BLOB    NOT NULL,
	created INTEGER NOT NULL
) WITHOUT ROWID;
`},
	// rooms.bytes is the history.Size of the room's messages, kept by the
	// writer, so that Open sums rooms, not every message, for MaxBytes.
	{"room bytes", `
ALTER TABLE rooms ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
UPDATE rooms SET bytes = (
	SELECT coalesce(sum(length(CAST(name AS BLOB)) + length(CAST(content AS BLOB)) + length(CAST(client_id AS BLOB))), 0)
	FROM messages WHERE messages.room_id = rooms.id);
`},
}

// migrate brings db up to len(steps), one transaction per step, and
// refuses a database whose version is past len(steps) with ErrNewerSchema.
// Each step re-reads the version inside its (immediate) transaction, so two
// processes opening one file at once do not apply a step twice.
func migrate(ctx context.Context, db *sql.DB, steps []migration, log *slog.Logger) error {
	for {
		done, err := migrateStep(ctx, db, steps, log)
		if err != nil || done {
			return err
		}
	}
}

func migrateStep(ctx context.Context, db *sql.DB, steps []migration, log *slog.Logger) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("history/sqlite: migrate: %w", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return false, fmt.Errorf("history/sqlite: migrate: read schema version: %w", err)
	}
	switch {
	case v > len(steps):
		return false, fmt.Errorf("%w: the database is at version %d, this program knows versions up to %d", ErrNewerSchema, v, len(steps))
	case v == len(steps):
		return true, nil
	case v < 0:
		return false, fmt.Errorf("history/sqlite: migrate: schema version %d is not ours", v)
	}
	step := steps[v]
	if _, err := tx.ExecContext(ctx, step.sql); err != nil {
		return false, fmt.Errorf("history/sqlite: migrate to version %d (%s): %w", v+1, step.name, err)
	}
	// PRAGMA takes no parameters; v+1 is an int we made.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return false, fmt.Errorf("history/sqlite: migrate to version %d: %w", v+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("history/sqlite: migrate to version %d: commit: %w", v+1, err)
	}
	log.Info("history/sqlite: migrated", "version", v+1, "step", step.name)
	return false, nil
}
