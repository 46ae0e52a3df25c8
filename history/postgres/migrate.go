package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNewerSchema is returned by Open for a database written by a newer
// version of this package; it is left untouched.
var ErrNewerSchema = errors.New("history/postgres: database schema is newer than this program")

// migrationLock is the advisory lock key nodes take while migrating.
const migrationLock = 0x73746f6d70 // "stomp"

// migrations is the schema, in order; a released step never changes.
// rooms.last_id is the last id given out in the room; rooms.bytes the
// history.Size of its messages, for MaxBytes; totals (one row) counts rooms
// and names for their budgets, locked only when one is added.
var migrations = []struct{ name, sql string }{
	{"rooms, messages and names", `
CREATE TABLE rooms (
	id            bigserial PRIMARY KEY,
	name          text   NOT NULL UNIQUE,
	created       bigint NOT NULL,
	last_activity bigint NOT NULL,
	last_id       bigint NOT NULL DEFAULT 0,
	bytes         bigint NOT NULL DEFAULT 0
);
CREATE TABLE messages (
	room_id   bigint NOT NULL REFERENCES rooms (id),
	id        bigint NOT NULL,
	name      text   NOT NULL,
	content   text   NOT NULL,
	ts        bigint NOT NULL,
	client_id text   NOT NULL DEFAULT '',
	PRIMARY KEY (room_id, id)
);
CREATE UNIQUE INDEX messages_client ON messages (name, client_id) WHERE client_id <> '';
CREATE TABLE names (
	name    text   PRIMARY KEY,
	hash    bytea  NOT NULL,
	created bigint NOT NULL
);
CREATE TABLE totals (
	rooms bigint NOT NULL,
	names bigint NOT NULL
);
INSERT INTO totals VALUES (0, 0);
`},
}

// migrate brings the database up to date, holding an advisory lock.
func migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("history/postgres: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("history/postgres: migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version int NOT NULL)`); err != nil {
		return fmt.Errorf("history/postgres: migrate: %w", err)
	}
	var v int
	err = conn.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := conn.Exec(ctx, `INSERT INTO schema_version VALUES (0)`); err != nil {
			return fmt.Errorf("history/postgres: migrate: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("history/postgres: migrate: %w", err)
	}
	if v > len(migrations) {
		return fmt.Errorf("%w: version %d, this program knows %d", ErrNewerSchema, v, len(migrations))
	}
	for ; v < len(migrations); v++ {
		step := migrations[v]
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, step.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE schema_version SET version = $1`, v+1)
			return err
		})
		if err != nil {
			return fmt.Errorf("history/postgres: migrate to version %d (%s): %w", v+1, step.name, err)
		}
		log.Info("history/postgres: migrated", "version", v+1, "step", step.name)
	}
	return nil
}
