package history

import (
	"context"
	"errors"
	"fmt"
)

// A Message is one stored chat line.
type Message struct {
	ID       int64  `json:"id"` // assigned by the store: 1, 2, 3... increasing within the room, never reused
	Room     string `json:"room"`
	Name     string `json:"name"`
	Content  string `json:"content"`
	TS       int64  `json:"ts"` // milliseconds since the epoch, set by the caller
	ClientID string `json:"-"`  // optional; (Name, ClientID) is unique when ClientID != ""
}

// A Room is a chat room.
type Room struct {
	Name         string `json:"name"`
	Created      int64  `json:"created"`      // ms since epoch
	LastActivity int64  `json:"lastActivity"` // ms of the latest message, or Created if none
}

// Query selects a page of a room's messages. Results are always oldest first.
// After > 0: the first Limit messages with id > After.
// Otherwise: the latest Limit messages, with id < Before when Before > 0.
// Limit 0 means DefaultLimit (50); more than MaxLimit (200) is capped to MaxLimit; negative is an error.
type Query struct {
	Before, After int64
	Limit         int
}

// Page sizes of a Query.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Errors a Store returns. Match them with errors.Is: a backend may wrap
// them with detail.
var (
	ErrTooManyRooms  = errors.New("history: too many rooms")         // a budget: the store's MaxRooms
	ErrTooManyNames  = errors.New("history: too many claimed names") // the store's MaxNames
	ErrNameTaken     = errors.New("history: name claimed with another secret")
	ErrClosed        = errors.New("history: store closed")
	ErrNegativeLimit = errors.New("history: negative query limit") // Query.Limit < 0
)

// PageSize returns the number of messages q asks for: Limit, DefaultLimit
// for 0, at most MaxLimit. A negative Limit is an error wrapping
// ErrNegativeLimit. Backends call it so that every Store pages alike.
func (q Query) PageSize() (int, error) {
	switch {
	case q.Limit < 0:
		return 0, fmt.Errorf("%w: %d", ErrNegativeLimit, q.Limit)
	case q.Limit == 0:
		return DefaultLimit, nil
	case q.Limit > MaxLimit:
		return MaxLimit, nil
	}
	return q.Limit, nil
}

// A Store keeps chat history, rooms and name claims. Safe for concurrent use.
//
// Every method but Close takes a context; a call whose context is already
// done returns its error and changes nothing. Once a write has started, a
// context that ends may or may not stop it (a backend documents which); the
// caller then gets the context's error either way.
type Store interface {
	// Append stores m in m.Room (creating the room if it does not exist, within
	// MaxRooms), assigns its ID and returns the stored message. If m.ClientID is
	// set and (m.Name, m.ClientID) was stored before, it stores nothing and returns
	// the earlier message with dup = true. It returns only once the message is durable
	// (committed), or with an error: a failed write is never swallowed.
	//
	// A room created by Append has Created = m.TS; every Append sets its
	// room's LastActivity to m.TS.
	Append(ctx context.Context, m Message) (stored Message, dup bool, err error)
	// Messages returns a page of room's messages, oldest first (empty, not an error, for an unknown room).
	Messages(ctx context.Context, room string, q Query) ([]Message, error)
	// CreateRoom creates room name at time now (ms) if it does not exist, within MaxRooms.
	// It returns the room as stored, and created = false if it existed.
	CreateRoom(ctx context.Context, name string, now int64) (r Room, created bool, err error)
	// Rooms lists every room, by name.
	Rooms(ctx context.Context) ([]Room, error)
	// Claim ties name to secretHash the first time it is called for name (within MaxNames) and
	// returns nil; afterwards it returns nil when secretHash equals the stored hash (compare in
	// constant time) and ErrNameTaken otherwise. An empty secretHash only
	// checks: nil while name is unclaimed (nothing is stored), ErrNameTaken
	// once it is claimed.
	Claim(ctx context.Context, name string, secretHash []byte) error
	// Close waits for pending writes, then releases the store. Later calls return ErrClosed
	// (a second Close too).
	Close() error
}
