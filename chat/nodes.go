package chat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sort"
	"time"

	"github.com/stompbox/stompbox/broker"
)

// Presence across nodes. Each App is a node: it publishes, on NodesTopic,
// a delta when a name enters or leaves a room on it, and a snapshot of all
// its rooms' names every PresenceInterval. Every node keeps what the others
// last said and forgets a node not heard from for three intervals (a
// crashed node's users leave within that). A room's members are the union.
// A join or leave event goes out from the node where it happened, when no
// other node has the name in the room (the delta says it was told). A
// leave nobody told (two nodes lost their last copies at once, each seeing
// the other's; a node forgotten; a snapshot missing a name a lost delta
// had) goes out from the live node with the smallest id when it sees the
// name gone everywhere. Two nodes adding the same name at the same instant
// may both announce the join.

// NodesTopic carries the nodes' presence; only the application publishes
// there.
const NodesTopic = "/topic/stompbox.nodes"

// nodeMsg is a presence message between nodes.
type nodeMsg struct {
	Node  string              `json:"node"`
	Room  string              `json:"room,omitempty"`  // a delta's room
	Name  string              `json:"name,omitempty"`  // a delta's name
	In    bool                `json:"in,omitempty"`    // a delta: entered (true) or left
	Rooms map[string][]string `json:"rooms,omitempty"` // a snapshot: room -> names
	Full  bool                `json:"full,omitempty"`  // a snapshot (Rooms may be empty)
	Bye   bool                `json:"bye,omitempty"`   // the node is stopping
	Told  bool                `json:"told,omitempty"`  // a delta its node announced itself
}

// remote is what another node last said.
type remote struct {
	rooms map[string]map[string]bool
	seen  time.Time
}

// startNodes subscribes to NodesTopic and starts the heartbeat.
func (a *App) startNodes(ctx context.Context) error {
	var id [8]byte
	rand.Read(id[:])
	a.node = hex.EncodeToString(id[:])
	a.remotes = make(map[string]*remote)
	a.inbox = make(chan *broker.Message, 1024)
	a.stopNodes = make(chan struct{})
	a.nodesDone = make(chan struct{})
	a.outbox = make(chan outMsg, 4096)
	a.outboxDone = make(chan struct{})
	go a.runOutbox()
	a.nodeSub = &broker.Subscription{ID: "chat-nodes-" + a.node, Destination: NodesTopic, Subscriber: nodeInbox(a.inbox)}
	if err := a.router.Broker.Subscribe(ctx, a.nodeSub); err != nil {
		return err
	}
	go a.runNodes()
	return nil
}

// nodeInbox takes presence messages off the broker's delivery path: Deliver
// must not block or call the broker. A full inbox drops the message (the
// next snapshot repairs what it said).
type nodeInbox chan *broker.Message

func (in nodeInbox) Deliver(_ *broker.Subscription, m *broker.Message) bool {
	select {
	case in <- m:
	default:
	}
	return true
}

// An outMsg is a presence message waiting to be published.
type outMsg struct {
	dest string
	v    any
}

// enqueue queues v for dest on the presence outbox, which publishes in
// order on its own goroutine: presence changes are decided under a.mu, in
// order, but a publish may wait for RabbitMQ, which must not hold the lock.
// A full outbox (RabbitMQ stalled) drops the message, counted and warned;
// the next snapshot repairs member lists. a.mu must be held.
func (a *App) enqueue(dest string, v any) {
	if a.outClosed {
		return // after Close
	}
	select {
	case a.outbox <- outMsg{dest, v}:
	default:
		a.dropped++
		a.warn.Warn("chat: presence outbox full; a presence message was dropped", "limit", "presence outbox", "dropped", a.dropped)
	}
}

func (a *App) runOutbox() {
	defer close(a.outboxDone)
	for m := range a.outbox {
		if a.killed.Load() {
			continue // a test's crash: nothing more goes out
		}
		a.publish(context.Background(), m.dest, m.v)
	}
}

// runNodes handles other nodes' messages and sends the heartbeat.
func (a *App) runNodes() {
	defer close(a.nodesDone)
	tick := time.NewTicker(a.cfg.PresenceInterval)
	defer tick.Stop()
	a.sendSnapshot()
	for {
		select {
		case m := <-a.inbox:
			var nm nodeMsg
			if json.Unmarshal(m.Body, &nm) == nil && nm.Node != "" && nm.Node != a.node {
				a.fromNode(nm)
			}
		case <-tick.C:
			a.sendSnapshot()
			a.expireNodes()
		case <-a.stopNodes:
			return
		}
	}
}

// sendSnapshot queues this node's rooms and names, under a.mu so that it
// is ordered with the deltas.
func (a *App) sendSnapshot() {
	a.mu.Lock()
	defer a.mu.Unlock()
	rooms := make(map[string][]string)
	for name, st := range a.rooms {
		for n := range st.members {
			rooms[name] = append(rooms[name], n)
		}
	}
	a.enqueue(NodesTopic, nodeMsg{Node: a.node, Rooms: rooms, Full: true})
}

// fromNode applies another node's message.
func (a *App) fromNode(nm nodeMsg) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.remotes[nm.Node]
	if nm.Bye {
		// Its sessions' leaves went out as they closed.
		delete(a.remotes, nm.Node)
		return
	}
	if r == nil {
		r = &remote{rooms: make(map[string]map[string]bool)}
		a.remotes[nm.Node] = r
	}
	r.seen = a.now()
	switch {
	case nm.Full:
		old := r.rooms
		r.rooms = make(map[string]map[string]bool, len(nm.Rooms))
		for room, names := range nm.Rooms {
			if !ValidRoom(room) {
				continue
			}
			set := make(map[string]bool, len(names))
			for _, n := range names {
				set[n] = true
			}
			r.rooms[room] = set
		}
		a.leaveGone(&remote{rooms: old}, a.lowestLocked())
	case ValidRoom(nm.Room) && nm.Name != "":
		set := r.rooms[nm.Room]
		if nm.In {
			if set == nil {
				set = make(map[string]bool)
				r.rooms[nm.Room] = set
			}
			elsewhere := a.presentLocked(nm.Room, nm.Name) && !set[nm.Name]
			set[nm.Name] = true
			// Its node saw another copy and did not announce; if that copy
			// has gone meanwhile (its leave was announced), announce.
			if !nm.Told && !elsewhere && !a.othersHave(nm.Node, nm.Room, nm.Name) && a.lowestLocked() {
				a.enqueue(MembersTopic(nm.Room), Presence{Type: "join", Name: nm.Name})
			}
		} else if set != nil {
			delete(set, nm.Name)
			present := a.presentLocked(nm.Room, nm.Name)
			switch {
			case !nm.Told && !present && a.lowestLocked():
				a.enqueue(MembersTopic(nm.Room), Presence{Type: "leave", Name: nm.Name})
			case nm.Told && present && a.lowestLocked():
				// Its node announced a leave, not seeing a copy that another
				// node had added meanwhile: correct it.
				a.enqueue(MembersTopic(nm.Room), Presence{Type: "join", Name: nm.Name})
			}
		}
	}
}

// expireNodes forgets nodes not heard from for three intervals; the live
// node with the smallest id announces their users' leaves.
func (a *App) expireNodes() {
	a.mu.Lock()
	defer a.mu.Unlock()
	limit := a.now().Add(-3 * a.cfg.PresenceInterval)
	var gone []*remote
	for id, r := range a.remotes {
		if r.seen.Before(limit) {
			delete(a.remotes, id)
			gone = append(gone, r)
		}
	}
	lowest := a.lowestLocked()
	for _, r := range gone {
		a.leaveGone(r, lowest)
	}
}

// lowestLocked reports whether this node has the smallest id of the live
// nodes: the one that announces leaves nobody else told. a.mu must be held.
func (a *App) lowestLocked() bool {
	for id := range a.remotes {
		if id < a.node {
			return false
		}
	}
	return true
}

// leaveGone announces the leaves of r's names that no node has any more,
// when announce is set. a.mu must be held.
func (a *App) leaveGone(r *remote, announce bool) {
	if !announce {
		return
	}
	rooms := make([]string, 0, len(r.rooms))
	for room := range r.rooms {
		rooms = append(rooms, room)
	}
	sort.Strings(rooms)
	for _, room := range rooms {
		for name := range r.rooms[room] {
			if !a.presentLocked(room, name) {
				a.enqueue(MembersTopic(room), Presence{Type: "leave", Name: name})
			}
		}
	}
}

// presentLocked reports whether name is in room on any node, this one
// included. a.mu must be held.
func (a *App) presentLocked(room, name string) bool {
	if st := a.rooms[room]; st != nil && st.members[name] > 0 {
		return true
	}
	return a.remoteHas(room, name)
}

// othersHave reports whether a node other than node (this one included)
// has name in room. a.mu must be held.
func (a *App) othersHave(node, room, name string) bool {
	if st := a.rooms[room]; st != nil && st.members[name] > 0 {
		return true
	}
	for id, r := range a.remotes {
		if id != node && r.rooms[room][name] {
			return true
		}
	}
	return false
}

func (a *App) remoteHas(room, name string) bool {
	for _, r := range a.remotes {
		if r.rooms[room][name] {
			return true
		}
	}
	return false
}

// membersLocked lists room's names on every node, each once. a.mu must
// be held.
func (a *App) membersLocked(room string) map[string]bool {
	set := make(map[string]bool)
	if st := a.rooms[room]; st != nil {
		for n := range st.members {
			set[n] = true
		}
	}
	for _, r := range a.remotes {
		for n := range r.rooms[room] {
			set[n] = true
		}
	}
	return set
}

// Close stops the App's presence exchange, telling the other nodes its
// users have left. The App's handlers must not be called afterwards.
func (a *App) Close() error {
	if a.stopNodes == nil {
		return nil
	}
	select {
	case <-a.stopNodes:
		return nil
	default:
	}
	close(a.stopNodes)
	<-a.nodesDone
	a.router.Broker.Unsubscribe(context.Background(), a.nodeSub)
	a.mu.Lock()
	a.enqueue(NodesTopic, nodeMsg{Node: a.node, Bye: true})
	close(a.outbox)
	a.outClosed = true
	a.mu.Unlock()
	<-a.outboxDone
	return nil
}
