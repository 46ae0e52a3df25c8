// Package history defines the chat-history contract, [Store], and an
// in-memory implementation of it, [Memory].
//
// A Store keeps three things for the chat application: the chat lines of
// each room ([Message]), the rooms themselves ([Room]) and name claims (a
// name tied to the hash of a secret, see [Store.Claim]). Message IDs are
// assigned by the store, 1, 2, 3... within each room, and are never reused,
// so a client can page with [Query] Before/After and resume where it left
// off. A message with a client id is stored once: appending the same
// (Name, ClientID) again returns the earlier message, so a client may retry
// a send it is unsure of.
//
// Every budget ([ErrTooManyRooms], [ErrTooManyNames]) is checked before
// anything is kept. The caller validates names, room names and content
// lengths; a store accepts any strings.
//
// Backends that need drivers live in their own packages (history/sqlite,
// later history/postgres), so a user of [Memory] compiles none of them.
// Package history/historytest holds the conformance suite every Store must
// pass.
//
// Everything in this package is safe for concurrent use.
package history
