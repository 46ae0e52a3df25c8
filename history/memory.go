package history

import (
	"context"
	"crypto/subtle"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Memory is an in-memory Store for tests and embedding: nothing survives
// the process. Its zero value is not usable; call NewMemory.
//
// Memory keeps every message it is given (only rooms and names are
// budgeted), so it suits tests and small deployments, not a long-running
// busy server.
type Memory struct {
	cfg MemoryConfig

	mu      sync.RWMutex
	closed  bool
	rooms   map[string]*memRoom
	clients map[clientKey]msgRef // (name, client id) -> stored message
	names   map[string][]byte    // name -> secret hash
	bytes   int64                // Size of every message held
}

var _ Store = (*Memory)(nil)

// MemoryConfig configures a Memory store. Zero fields get their defaults.
type MemoryConfig struct {
	// MaxRooms bounds the rooms the store holds. Default 10000.
	MaxRooms int
	// MaxNames bounds the claimed names the store holds. Default 1000000.
	MaxNames int
	// MaxBytes bounds the bytes of messages the store holds (as Size counts
	// them); past it Append returns ErrFull. Default 8 GiB
	// (DefaultMaxBytes).
	MaxBytes int64
}

// Default budgets of a Memory store (and of the other backends).
const (
	DefaultMaxRooms = 10000
	DefaultMaxNames = 1000000
	// DefaultMaxBytes is the default MaxBytes of the stores.
	DefaultMaxBytes = 8 << 30
)

func (c *MemoryConfig) setDefaults() {
	DefaultLimits(&c.MaxRooms, &c.MaxNames, &c.MaxBytes)
}

// DefaultLimits gives the budgets every Store keeps their defaults where
// they are zero or negative: DefaultMaxRooms, DefaultMaxNames and
// DefaultMaxBytes. For backends' Configs.
func DefaultLimits(maxRooms, maxNames *int, maxBytes *int64) {
	if *maxRooms <= 0 {
		*maxRooms = DefaultMaxRooms
	}
	if *maxNames <= 0 {
		*maxNames = DefaultMaxNames
	}
	if *maxBytes <= 0 {
		*maxBytes = DefaultMaxBytes
	}
}

// SameSecret is what Claim answers for a claimed name: nil when got is the
// stored hash (compared in constant time), ErrNameTaken otherwise, and for
// an empty got (a check only).
func SameSecret(stored, got []byte) error {
	if len(got) == 0 || subtle.ConstantTimeCompare(stored, got) != 1 {
		return ErrNameTaken
	}
	return nil
}

type memRoom struct {
	room Room
	msgs []Message // msgs[i].ID == i+1
}

type clientKey struct{ name, clientID string }

type msgRef struct {
	room string
	id   int64
}

// NewMemory returns an empty in-memory store.
func NewMemory(cfg MemoryConfig) *Memory {
	cfg.setDefaults()
	return &Memory{
		cfg:     cfg,
		rooms:   make(map[string]*memRoom),
		clients: make(map[clientKey]msgRef),
		names:   make(map[string][]byte),
	}
}

// Append implements Store.
func (s *Memory) Append(ctx context.Context, m Message) (Message, bool, error) {
	if err := ctx.Err(); err != nil {
		return Message{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Message{}, false, ErrClosed
	}
	key := clientKey{m.Name, m.ClientID}
	if m.ClientID != "" {
		if ref, ok := s.clients[key]; ok {
			return s.rooms[ref.room].msgs[ref.id-1], true, nil
		}
	}
	if s.bytes+Size(m) > s.cfg.MaxBytes {
		return Message{}, false, fmt.Errorf("%w (%d bytes)", ErrFull, s.cfg.MaxBytes)
	}
	r, err := s.roomLocked(m.Room, m.TS)
	if err != nil {
		return Message{}, false, err
	}
	s.bytes += Size(m)
	m.ID = int64(len(r.msgs)) + 1
	r.msgs = append(r.msgs, m)
	r.room.LastActivity = m.TS
	if m.ClientID != "" {
		s.clients[key] = msgRef{m.Room, m.ID}
	}
	return m, false, nil
}

// roomLocked returns room name, creating it at now within MaxRooms.
func (s *Memory) roomLocked(name string, now int64) (*memRoom, error) {
	if r, ok := s.rooms[name]; ok {
		return r, nil
	}
	if len(s.rooms) >= s.cfg.MaxRooms {
		return nil, fmt.Errorf("%w (%d)", ErrTooManyRooms, s.cfg.MaxRooms)
	}
	r := &memRoom{room: Room{Name: name, Created: now, LastActivity: now}}
	s.rooms[name] = r
	return r, nil
}

// Messages implements Store.
func (s *Memory) Messages(ctx context.Context, room string, q Query) ([]Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n, err := q.PageSize()
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	r, ok := s.rooms[room]
	if !ok {
		return []Message{}, nil
	}
	// IDs are 1..len(msgs), so an id bound is an index bound.
	total := int64(len(r.msgs))
	var lo, hi int64 // r.msgs[lo:hi]
	if q.After > 0 {
		lo = min(q.After, total)
		hi = min(lo+int64(n), total)
	} else {
		hi = total
		if q.Before > 0 {
			hi = min(q.Before-1, total)
		}
		lo = max(hi-int64(n), 0)
	}
	return slices.Clone(r.msgs[lo:hi]), nil
}

// CreateRoom implements Store.
func (s *Memory) CreateRoom(ctx context.Context, name string, now int64) (Room, bool, error) {
	if err := ctx.Err(); err != nil {
		return Room{}, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return Room{}, false, ErrClosed
	}
	if r, ok := s.rooms[name]; ok {
		return r.room, false, nil
	}
	r, err := s.roomLocked(name, now)
	if err != nil {
		return Room{}, false, err
	}
	return r.room, true, nil
}

// Rooms implements Store.
func (s *Memory) Rooms(ctx context.Context) ([]Room, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	rooms := make([]Room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r.room)
	}
	slices.SortFunc(rooms, func(a, b Room) int { return strings.Compare(a.Name, b.Name) })
	return rooms, nil
}

// Claim implements Store.
func (s *Memory) Claim(ctx context.Context, name string, secretHash []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if h, ok := s.names[name]; ok {
		return SameSecret(h, secretHash)
	}
	if len(secretHash) == 0 {
		return nil // only a check, and the name is free
	}
	if len(s.names) >= s.cfg.MaxNames {
		return fmt.Errorf("%w (%d)", ErrTooManyNames, s.cfg.MaxNames)
	}
	s.names[name] = slices.Clone(secretHash)
	return nil
}

// Close implements Store. It drops everything the store held.
func (s *Memory) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	s.rooms, s.clients, s.names = nil, nil, nil
	return nil
}
