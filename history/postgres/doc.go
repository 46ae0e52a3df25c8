// Package postgres is a history.Store on PostgreSQL, for many stompbox
// nodes sharing one history (github.com/jackc/pgx/v5).
//
//	s, err := postgres.Open(ctx, postgres.Config{URL: "postgres://stompbox@db/chat"})
//	...
//	defer s.Close()
//
// Open applies the schema's migrations (a schema_version table; one
// transaction each, under an advisory lock so that nodes starting together
// do not race) and refuses a database from a newer version with
// ErrNewerSchema.
//
// Ids increase within a room across every node: an Append takes the next
// id by updating its room's row (a row lock) in the transaction that
// inserts the line, so ids have no gaps and no two nodes give out the same
// one. PostgreSQL commits concurrent transactions with one WAL flush (its
// own group commit), so appends from many sessions share fsyncs.
//
// Budgets: MaxRooms and MaxNames are checked inside the transaction that
// would add one; MaxBytes against a total each node refreshes every second,
// so nodes together may pass it by what they store in that second.
//
// Safe for concurrent use.
package postgres
