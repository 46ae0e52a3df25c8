package server

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/stompbox/stompbox/broker"
)

// UserPrefix starts user destinations: a client subscribes to
// /user/queue/reply and receives what is sent to its user's /queue/reply.
const UserPrefix = "/user"

// registry knows who is online where: users, their sessions and each
// session's subscriptions. Lock order: registry.mu is taken alone.
type registry struct {
	mu    sync.RWMutex
	users map[string]map[*session]struct{}
	byID  map[string]*session
}

// regEntry is a session's part of the registry, guarded by registry.mu.
type regEntry struct {
	subs     []SubscriptionInfo // destinations as the client wrote them (a slice: most sessions have one or two)
	userSubs map[string]int     // user destination (/queue/reply) -> subscriptions to it; nil until one
}

// add registers s; first reports its user's first session.
func (r *registry) add(s *session) (first bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.users == nil {
		r.users = make(map[string]map[*session]struct{})
		r.byID = make(map[string]*session)
	}
	s.reg = regEntry{}
	r.byID[s.id] = s
	if u := s.info.User; u != "" {
		if r.users[u] == nil {
			r.users[u] = make(map[*session]struct{})
			first = true
		}
		r.users[u][s] = struct{}{}
	}
	return first
}

// remove unregisters s; last reports its user's last session.
func (r *registry) remove(s *session) (last bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.byID, s.id)
	if u := s.info.User; u != "" {
		if _, ok := r.users[u][s]; ok {
			delete(r.users[u], s)
			if len(r.users[u]) == 0 {
				delete(r.users, u)
				last = true
			}
		}
	}
	return last
}

func (r *registry) subscribed(s *session, id, dest string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s.reg.subs = append(s.reg.subs, SubscriptionInfo{ID: id, Destination: dest})
	if ud, ok := userDestination(dest); ok {
		if s.reg.userSubs == nil {
			s.reg.userSubs = make(map[string]int)
		}
		s.reg.userSubs[ud]++
	}
}

func (r *registry) unsubscribed(s *session, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := slices.IndexFunc(s.reg.subs, func(si SubscriptionInfo) bool { return si.ID == id })
	if i < 0 {
		return
	}
	dest := s.reg.subs[i].Destination
	s.reg.subs = slices.Delete(s.reg.subs, i, i+1)
	if ud, ok := userDestination(dest); ok {
		if s.reg.userSubs[ud]--; s.reg.userSubs[ud] <= 0 {
			delete(s.reg.userSubs, ud)
		}
	}
}

// privateDestination is where a session's subscription to /user + dest
// lives in the broker.
func privateDestination(dest, sessionID string) string {
	return dest + broker.PrivateMark + sessionID
}

// targets returns the private destinations for dest of the given sessions
// that subscribed to it.
func (r *registry) targets(sessions func(yield func(*session) bool), dest string) []string {
	var out []string
	for s := range sessions {
		if s.reg.userSubs[dest] > 0 {
			out = append(out, privateDestination(dest, s.id))
		}
	}
	return out
}

// PublishToUser delivers m to every session of user that subscribed to the
// user destination m.Destination (say /queue/reply, subscribed to as
// /user/queue/reply), like Spring's convertAndSendToUser. Subscribers see
// the destination they subscribed to. It returns how many sessions it
// reached; none is not an error (it is counted in Stats.UserUnreachable).
//
// With a broker that routes users between nodes (broker.UserRouter), it
// reaches the user's sessions on every node and returns 1 when some node
// had the user online, 0 otherwise.
func (srv *Server) PublishToUser(ctx context.Context, user string, m *broker.Message) (int, error) {
	if ur := srv.userRouter; ur != nil {
		reached, err := ur.PublishUser(ctx, user, m)
		if err != nil || !reached {
			if err == nil {
				srv.counters.userUnreachable.Add(1)
			}
			return 0, err
		}
		return 1, nil
	}
	return srv.publishAll(ctx, srv.userMessages(user, m))
}

// deliverUser hands what the cluster routed to user to this node's
// sessions of user.
func (srv *Server) deliverUser(user string, m *broker.Message) {
	if _, err := srv.publishAll(context.Background(), srv.userMessages(user, m)); err != nil {
		srv.cfg.Logger.Warn("delivery to a user's sessions failed", "dest", m.Destination, "err", err)
	}
}

// PublishToSession is PublishToUser for one session (Spring's
// broadcast=false).
func (srv *Server) PublishToSession(ctx context.Context, sessionID string, m *broker.Message) (int, error) {
	srv.reg.mu.RLock()
	dests := srv.reg.targets(func(yield func(*session) bool) {
		if s := srv.reg.byID[sessionID]; s != nil {
			yield(s)
		}
	}, m.Destination)
	srv.reg.mu.RUnlock()
	return srv.publishAll(ctx, privateMessages(dests, m))
}

// userMessages returns m addressed to each private destination of user's
// sessions that subscribed to m.Destination.
func (srv *Server) userMessages(user string, m *broker.Message) []*broker.Message {
	srv.reg.mu.RLock()
	dests := srv.reg.targets(func(yield func(*session) bool) {
		for s := range srv.reg.users[user] {
			if !yield(s) {
				return
			}
		}
	}, m.Destination)
	srv.reg.mu.RUnlock()
	return privateMessages(dests, m)
}

func privateMessages(dests []string, m *broker.Message) []*broker.Message {
	ms := make([]*broker.Message, 0, len(dests))
	for _, d := range dests {
		pm := broker.NewMessage(d, m.Header, m.Body)
		pm.Shown = UserPrefix + m.Destination
		ms = append(ms, pm)
	}
	return ms
}

func (srv *Server) publishAll(ctx context.Context, ms []*broker.Message) (int, error) {
	if len(ms) == 0 {
		srv.counters.userUnreachable.Add(1)
	}
	for _, m := range ms {
		if err := srv.cfg.Broker.Publish(ctx, m); err != nil {
			return 0, err
		}
	}
	return len(ms), nil
}

// UserInfo is the registry's view of one user: who is online where.
type UserInfo struct {
	Name     string
	Sessions []SessionInfo
}

// SessionInfo is one session and its subscriptions.
type SessionInfo struct {
	Session
	Subscriptions []SubscriptionInfo
}

// SubscriptionInfo is one subscription, its destination as the client
// wrote it.
type SubscriptionInfo struct {
	ID, Destination string
}

// Users returns every user with at least one session, sorted by name.
// Anonymous sessions are not listed.
func (srv *Server) Users() []UserInfo {
	srv.reg.mu.RLock()
	defer srv.reg.mu.RUnlock()
	out := make([]UserInfo, 0, len(srv.reg.users))
	for name := range srv.reg.users {
		out = append(out, srv.userLocked(name))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// User returns one user's sessions and subscriptions.
func (srv *Server) User(name string) (UserInfo, bool) {
	srv.reg.mu.RLock()
	defer srv.reg.mu.RUnlock()
	if len(srv.reg.users[name]) == 0 {
		return UserInfo{}, false
	}
	return srv.userLocked(name), true
}

func (srv *Server) userLocked(name string) UserInfo {
	u := UserInfo{Name: name}
	for s := range srv.reg.users[name] {
		si := SessionInfo{Session: *s.info}
		si.Subscriptions = slices.Clone(s.reg.subs)
		slices.SortFunc(si.Subscriptions, func(a, b SubscriptionInfo) int { return strings.Compare(a.ID, b.ID) })
		u.Sessions = append(u.Sessions, si)
	}
	slices.SortFunc(u.Sessions, func(a, b SessionInfo) int { return strings.Compare(a.ID, b.ID) })
	return u
}
