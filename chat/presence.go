package chat

import (
	"context"
	"sort"
	"strings"

	"github.com/stompbox/stompbox/limit"
	"github.com/stompbox/stompbox/server"
)

// Presence is a join or leave event on /topic/rooms.{room}.members.
type Presence struct {
	Type string `json:"type"` // "join" or "leave"
	Name string `json:"name"`
}

// Member is one entry of a room's member list.
type Member struct {
	Name string `json:"name"`
}

// OnEvent is a server.EventHandler that keeps presence: a session is in
// a room while it holds a subscription to /topic/rooms.{room}. A name
// joins a room with its first session there and leaves with its last,
// however that session ends (UNSUBSCRIBE, DISCONNECT, or a socket that
// dies). Anonymous sessions read rooms without being members.
func (a *App) OnEvent(ctx context.Context, e server.Event) {
	if e.Session == nil {
		return
	}
	// Presence outlives the session whose event it is.
	ctx = context.WithoutCancel(ctx)
	a.mu.Lock()
	defer a.mu.Unlock()
	id := e.Session.ID
	switch e.Type {
	case server.Connected:
		a.sessions[id] = &member{name: e.Session.User, ip: limit.AddrKey(e.Session.Remote)} // maps made at the first room
	case server.Subscribed:
		m := a.sessions[id]
		room, ok := roomOf(e.Destination)
		if m == nil || m.name == "" || !ok {
			return // anonymous sessions read rooms without being in them
		}
		if m.subs == nil {
			m.subs, m.in = make(map[string]string), make(map[string]int)
		}
		m.subs[e.SubscriptionID] = room
		if m.in[room]++; m.in[room] == 1 {
			a.enter(ctx, room, m.name)
		}
	case server.Unsubscribed:
		m := a.sessions[id]
		if m == nil {
			return
		}
		if room, ok := m.subs[e.SubscriptionID]; ok {
			delete(m.subs, e.SubscriptionID)
			if m.in[room]--; m.in[room] == 0 {
				delete(m.in, room)
				a.exit(ctx, room, m.name)
			}
		}
	case server.Disconnected:
		m := a.sessions[id]
		if m == nil {
			return
		}
		delete(a.sessions, id)
		for room := range m.in {
			a.exit(ctx, room, m.name)
		}
	}
}

// roomOf returns the room of a chat-line topic, /topic/rooms.{room}; its
// .members and .typing topics are not presence.
func roomOf(dest string) (string, bool) {
	room, ok := strings.CutPrefix(dest, roomTopicPrefix)
	return room, ok && ValidRoom(room)
}

// enter counts one more session of name in room. a.mu must be held.
func (a *App) enter(ctx context.Context, room, name string) {
	st := a.rooms[room]
	if st == nil {
		// Subscribed without AuthorizeSubscribe having made the room (an
		// App wired without it): keep presence all the same.
		st = &roomState{}
		st.Name = room
		a.rooms[room] = st
	}
	if st.members == nil {
		st.members = make(map[string]int)
	}
	if st.members[name]++; st.members[name] == 1 {
		// The other nodes hear of it before anyone sees the join: a node
		// that dies right after its join went out has still told them.
		told := !a.remoteHas(room, name)
		a.enqueue(NodesTopic, nodeMsg{Node: a.node, Room: room, Name: name, In: true, Told: told})
		if told {
			a.enqueue(MembersTopic(room), Presence{Type: "join", Name: name})
		}
	}
}

// exit counts one session of name less in room. a.mu must be held.
func (a *App) exit(ctx context.Context, room, name string) {
	st := a.rooms[room]
	if st == nil || st.members[name] == 0 {
		return
	}
	if st.members[name]--; st.members[name] == 0 {
		delete(st.members, name)
		told := !a.remoteHas(room, name)
		a.enqueue(NodesTopic, nodeMsg{Node: a.node, Room: room, Name: name, Told: told})
		if told {
			a.enqueue(MembersTopic(room), Presence{Type: "leave", Name: name})
		}
	}
}

// members lists the names in room, each once, sorted.
func (a *App) members(room string) []Member {
	a.mu.Lock()
	defer a.mu.Unlock()
	list := []Member{}
	for name := range a.membersLocked(room) {
		list = append(list, Member{Name: name})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list
}

// publish sends v to dest, logging a failure: presence and typing are
// best effort, a lost one is corrected by the next member list.
func (a *App) publish(ctx context.Context, dest string, v any) {
	if err := a.router.Publish(ctx, dest, v); err != nil {
		a.log.Warn("chat: publish failed", "dest", dest, "err", err)
	}
}
