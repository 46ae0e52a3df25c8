package chat

import (
	"context"
	"fmt"
	"strings"

	"github.com/stompbox/stompbox/messaging"
	"github.com/stompbox/stompbox/pattern"
	"github.com/stompbox/stompbox/server"
)

// Topics the seed's handlers publish to.
const (
	GreetingsTopic = "/topic/greetings"
	ChatTopic      = "/topic/chat"
)

// A session may subscribe to rooms' chat topics in a burst of joinBurst
// (more than the rooms its 256 subscriptions can hold, three topics each),
// then joinRate a second.
const (
	joinBurst = 100
	joinRate  = 1.0
)

// owned reports whether the application alone publishes to dest.
func owned(dest string) bool {
	return dest == GreetingsTopic || dest == ChatTopic || dest == RoomsTopic ||
		strings.HasPrefix(dest, roomTopicPrefix) || dest == NodesTopic
}

// AuthorizeSend is a server.AuthorizeHandler: clients may not SEND
// straight to the topics the application owns (/topic/chat,
// /topic/greetings, /topic/rooms...), where every line must be stamped
// by the server, nor to another user's /user/{name}/queue/errors; they
// SEND to /app/... instead.
func (a *App) AuthorizeSend(_ context.Context, _ *server.Session, dest string) error {
	if owned(dest) {
		return refuse("owned-topic", "only the chat application publishes to "+dest+"; send to /app/... instead")
	}
	if strings.HasPrefix(dest, server.UserPrefix+"/") && strings.HasSuffix(dest, messaging.ErrorsDestination) {
		// /user/{name}/queue/errors: a forged error would look like the server's.
		return refuse("owned-topic", "only the server sends to a user's "+messaging.ErrorsDestination)
	}
	return nil
}

// AuthorizeSubscribe is a server.AuthorizeHandler for the rooms' topics:
// /topic/rooms.{room}, .members and .typing need a valid room name and no
// wildcards. Subscribing to /topic/rooms.{room} joins the room, making it
// if it is new: that needs a name, spends a token of the session's chat
// rate, and stays within the store's room budget.
func (a *App) AuthorizeSubscribe(ctx context.Context, s *server.Session, dest string) error {
	if dest == NodesTopic {
		return refuse("owned-topic", NodesTopic+" is the nodes' own")
	}
	rest, ok := strings.CutPrefix(dest, roomTopicPrefix)
	if !ok {
		return nil
	}
	if pattern.HasWildcard(dest) {
		return refuse("bad-room", "subscribe to rooms by name, not by pattern")
	}
	room, sub, _ := strings.Cut(rest, ".")
	if !ValidRoom(room) || (sub != "" && sub != "members" && sub != "typing") {
		return refuse("bad-room", "no such room topic: room names have 1-40 letters, digits, - and _, and a room has .members and .typing topics")
	}
	if sub != "" {
		return nil
	}
	a.mu.Lock()
	_, known := a.rooms[room]
	m := a.sessions[s.ID]
	joinOK := m == nil || m.joins.Take(a.now(), joinRate, joinBurst)
	a.mu.Unlock()
	if !joinOK {
		// Each join broadcasts to the room, and its UNSUBSCRIBE a leave: a
		// session churning them would make every member pay.
		return refuse("rate-limited", fmt.Sprintf("at most %d room subscriptions at once, then %g a second", joinBurst, joinRate))
	}
	if known {
		return nil
	}
	if err := a.allowCreate(s); err != nil {
		return err
	}
	return a.ensureRoom(ctx, room)
}

// allowCreate checks that session s may make a room now.
func (a *App) allowCreate(s *server.Session) error {
	if s == nil || s.User == "" {
		return refuse("name-required", "connect with a name to make a room")
	}
	return a.spend(s, a.roomsByIP, "new rooms")
}
