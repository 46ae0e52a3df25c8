// Package sqlite is the default history.Store: chat history, rooms and name
// claims in one SQLite file, through the pure-Go driver modernc.org/sqlite
// (no cgo).
//
// # Writes: one writer, group commit
//
// One goroutine owns every write (Append, CreateRoom, Claim). A caller
// sends its request and waits; the writer takes everything pending, up to
// Config.MaxBatch, applies it in one transaction and commits once, then
// answers each caller. Under load many appends share one commit and one
// fsync; a lone append is committed at once. A call returns only after its
// write is committed (durable as Config.Synchronous says). If the
// transaction fails, every write in the batch fails with that error and the
// writer goes on with the next batch.
//
// Once the writer has taken a request into a batch, the caller's context no
// longer stops it: a caller whose context ends gets ctx.Err(), and its write
// may have been committed anyway. (A retry of an Append with the same
// ClientID then finds it.) A request whose context ended before the writer
// took it is dropped.
//
// # Reads
//
// Messages and Rooms run on a separate pool of read-only connections and
// never wait for the writer: in WAL mode readers see the last commit while
// the writer works. A read sees every write that has returned.
//
// # Schema
//
// rooms(id, name UNIQUE, created, last_activity, last_id);
// messages(room_id, id, name, content, ts, client_id) keyed (room_id, id)
// WITHOUT ROWID, so a room's messages lie together in id order and a page
// is one range scan; a unique index on (name, client_id) where client_id is
// not empty; names(name, hash, created). Migrations are numbered by
// PRAGMA user_version and applied at Open, one transaction each; a database
// from a newer version is refused (ErrNewerSchema).
//
// # Performance
//
// Measured on a 2-core VM (go test -bench . ./history/sqlite):
//
//	BenchmarkAppend, 256 appenders, synchronous=full     ~80,000 appends/s
//	BenchmarkAppend, 256 appenders, synchronous=normal  ~110,000 appends/s
//	BenchmarkLatestPage, latest 50 of 1,000,000         ~100 µs/read
//
// Everything in this package is safe for concurrent use.
package sqlite
