package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stompbox/stompbox/history"
)

// MaxRoomLen is the longest room name, in characters.
const MaxRoomLen = 40

// DefaultRoom is the room everyone starts in.
const DefaultRoom = "lobby"

// Destinations the application owns: clients may subscribe to them but
// only the application publishes there.
const (
	RoomsTopic      = "/topic/rooms"  // a new room: RoomInfo
	roomTopicPrefix = "/topic/rooms." // + room: Line; + room + ".members": Presence; + ".typing": Typing
)

// RoomTopic is where room's chat lines are broadcast.
func RoomTopic(room string) string { return roomTopicPrefix + room }

// MembersTopic carries room's join and leave events.
func MembersTopic(room string) string { return roomTopicPrefix + room + ".members" }

// TypingTopic carries who is typing in room.
func TypingTopic(room string) string { return roomTopicPrefix + room + ".typing" }

// ValidRoom reports whether name can name a room: 1 to 40 letters (of
// any script), digits, "-" and "_". No dots, so /topic/rooms.{room}.typing
// splits one way only.
func ValidRoom(name string) bool {
	if name == "" || utf8.RuneCountInString(name) > MaxRoomLen {
		return false
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' {
			return false
		}
	}
	return true
}

// RoomInfo is a room as the room list shows it.
type RoomInfo struct {
	Name         string `json:"name"`
	Members      int    `json:"members"`
	LastActivity int64  `json:"lastActivity"`
}

// ensureRoom makes room exist, creating and announcing it when it is new.
// The store enforces the room budget.
func (a *App) ensureRoom(ctx context.Context, room string) error {
	a.mu.Lock()
	_, known := a.rooms[room]
	a.mu.Unlock()
	if known {
		return nil
	}
	r, created, err := a.store.CreateRoom(ctx, room, a.now().UnixMilli())
	if errors.Is(err, history.ErrTooManyRooms) {
		a.warn.Warn("chat: room budget reached", "limit", "max-rooms")
		return refuse("too-many-rooms", "no new rooms can be made now (max-rooms)")
	}
	if err != nil {
		return fmt.Errorf("chat: create room %q: %w", room, err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, known := a.rooms[room]; !known {
		a.rooms[room] = &roomState{Room: r}
	}
	if created {
		a.listCache = nil
		a.log.Info("room created", "room", room)
		a.enqueue(RoomsTopic, a.info(room))
	}
	return nil
}

// info describes room for the room list. a.mu must be held.
func (a *App) info(room string) RoomInfo {
	st := a.rooms[room]
	ri := RoomInfo{Name: room}
	if st != nil {
		ri.LastActivity = st.LastActivity
	}
	ri.Members = len(a.membersLocked(room))
	return ri
}

// MaxRoomList bounds the answer to SUBSCRIBE /app/rooms: the most
// recently active rooms, so that a server with many rooms does not send
// each client all of them (10,000 rooms would be 600 KB a client).
const MaxRoomList = 200

// roomListTTL is how long an answer to /app/rooms is reused: it costs a
// sort of every room under the app's lock, and a client may ask as fast as
// it can send.
const roomListTTL = time.Second

// roomList returns the MaxRoomList most recently active rooms, most
// recent first (ties by name), encoded, from a cache of roomListTTL.
func (a *App) roomList() json.RawMessage {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.listCache != nil && now.Before(a.listUntil) {
		return a.listCache
	}
	list := make([]RoomInfo, 0, len(a.rooms))
	for name := range a.rooms {
		list = append(list, a.info(name))
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].LastActivity != list[j].LastActivity {
			return list[i].LastActivity > list[j].LastActivity
		}
		return list[i].Name < list[j].Name
	})
	b, _ := json.Marshal(list[:min(len(list), MaxRoomList)]) // RoomInfo always encodes
	a.listCache, a.listUntil = b, now.Add(roomListTTL)
	return b
}
