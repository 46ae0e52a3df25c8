package server

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
)

// A pendingAck is a message delivered to a subscription that acknowledges
// (ack:client or client-individual) and not yet ACKed or NACKed.
type pendingAck struct {
	n    uint64
	sub  *subscription
	m    *broker.Message
	size int64 // m.Size()
}

// acks holds a session's pending messages and the flow of its queue
// subscriptions. Lock order: broker locks, then acks.mu, then session.mu;
// never held while calling the broker.
type acks struct {
	mu      sync.Mutex
	byID    map[uint64]*pendingAck
	bytes   int64           // the pending messages' sizes
	closed  bool            // the session has ended; nothing more is recorded
	starved []*subscription // refused a queue message; to resume once there is room
}

func (a *acks) add(p *pendingAck) {
	if a.byID == nil {
		a.byID = make(map[uint64]*pendingAck) // at the first: most sessions never ack
	}
	a.byID[p.n] = p
	a.bytes += p.size
	p.sub.pending = append(p.sub.pending, p.n)
}

// remove takes back p, the last message added to its subscription.
func (a *acks) remove(p *pendingAck) {
	delete(a.byID, p.n)
	a.bytes -= p.size
	if k := len(p.sub.pending); k > 0 && p.sub.pending[k-1] == p.n {
		p.sub.pending = p.sub.pending[:k-1]
	}
}

// starve records that sub refused a queue message.
func (a *acks) starve(sub *subscription) {
	if !sub.starved {
		sub.starved = true
		a.starved = append(a.starved, sub)
	}
}

// takeStarved returns the starved subscriptions and forgets them: they are
// about to be resumed. a.mu must be held.
func (a *acks) takeStarved() []*subscription {
	out := a.starved
	a.starved = nil
	for _, sub := range out {
		sub.starved = false
	}
	return out
}

// take removes and returns what acknowledging n settles: n alone, or for
// ack:client n and every earlier message of its subscription, and the
// subscriptions to resume now that there is room. ok is false when n is
// not pending.
func (a *acks) take(n uint64, peek bool) (settled []*pendingAck, resume []*subscription, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.byID[n]
	if p == nil {
		return nil, nil, false
	}
	if peek {
		return nil, nil, true
	}
	sub := p.sub
	i, _ := slices.BinarySearch(sub.pending, n)
	from := i
	if sub.mode == ackClient {
		from = 0
	}
	for _, m := range sub.pending[from : i+1] {
		settled = append(settled, a.byID[m])
		a.bytes -= a.byID[m].size
		delete(a.byID, m)
	}
	sub.pending = slices.Delete(sub.pending, from, i+1)
	return settled, a.takeStarved(), true
}

// dropSubscription removes and returns every message pending on sub.
func (a *acks) dropSubscription(sub *subscription) []*pendingAck {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*pendingAck, 0, len(sub.pending))
	for _, n := range sub.pending {
		out = append(out, a.byID[n])
		a.bytes -= a.byID[n].size
		delete(a.byID, n)
	}
	sub.pending = nil
	return out
}

// close ends recording and returns everything still pending, oldest first.
func (a *acks) close() []*pendingAck {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closed = true
	out := make([]*pendingAck, 0, len(a.byID))
	for _, p := range a.byID {
		out = append(out, p)
	}
	clear(a.byID)
	a.bytes = 0
	a.starved = nil
	slices.SortFunc(out, func(x, y *pendingAck) int { return cmp.Compare(x.n, y.n) })
	return out
}

// ackID returns the number an ACK or NACK names: its id header (STOMP 1.2)
// or message-id (1.0 and 1.1). ok is false for an id this session never
// gave out, including another session's.
func (s *session) ackID(f *frame.Frame) (n uint64, raw []byte, perr *ProtocolError) {
	raw, ok := f.Header.Lookup(frame.HdrID)
	if !ok {
		raw, ok = f.Header.Lookup(frame.HdrMessageID)
	}
	if !ok {
		return 0, nil, protoErr("missing id", "%s needs an id header (STOMP 1.2) or a message-id header (1.0, 1.1)", f.Command)
	}
	rest, found := bytes.CutPrefix(raw, []byte(s.id+"-"))
	if found {
		if n, err := strconv.ParseUint(string(rest), 10, 64); err == nil {
			return n, raw, nil
		}
	}
	return 0, raw, protoErr("unknown ack id", "%s names %q, which is not a message awaiting acknowledgement in this session", f.Command, frame.Truncate(string(raw)))
}

// settle carries out an ACK (ack=true) or NACK. A NACKed queue message is
// given to another subscriber; a NACKed topic message is dropped.
func (s *session) settle(f *frame.Frame, ack bool) *ProtocolError {
	if !ack && s.version() == frame.V1_0 {
		return protoErr("unexpected frame", "NACK is not part of STOMP 1.0")
	}
	n, raw, perr := s.ackID(f)
	if perr != nil {
		return perr
	}
	settled, resume, ok := s.acks.take(n, false)
	if !ok {
		return protoErr("unknown ack id", "%s names %q, which is not a message awaiting acknowledgement in this session", f.Command, frame.Truncate(string(raw)))
	}
	if s.enterBroker() {
		defer s.leaveApp()
	}
	if ack {
		for _, p := range settled {
			if p.m.Upstream != nil {
				p.m.Upstream.Ack()
			}
		}
	} else {
		s.requeue(settled)
	}
	s.resume(resume)
	return nil
}

// resume tells the broker that subs have room again.
func (s *session) resume(subs []*subscription) {
	r, ok := s.srv.cfg.Broker.(broker.Resumer)
	if !ok {
		return
	}
	for _, sub := range subs {
		r.Resume(sub.bs)
	}
}

// requeue gives unacknowledged queue messages back to the broker, oldest
// first, each subscription's in one batch so their order is kept; topic
// messages are dropped. It must not be called with acks.mu held.
func (s *session) requeue(ps []*pendingAck) {
	for len(ps) > 0 {
		sub := ps[0].sub
		var ms []*broker.Message
		rest := ps[:0:0]
		for _, p := range ps {
			if p.sub != sub {
				rest = append(rest, p)
			} else if strings.HasPrefix(p.m.Destination, broker.QueuePrefix) {
				ms = append(ms, p.m)
			} else {
				s.srv.counters.topicDropped.Add(1) // a topic message is never redelivered
			}
		}
		s.giveBack(sub, ms)
		ps = rest
	}
}

// giveBack returns queue messages sub was given and will not settle.
func (s *session) giveBack(sub *subscription, ms []*broker.Message) {
	rq, ok := s.srv.cfg.Broker.(broker.Requeuer)
	if !ok || len(ms) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.srv.counters.requeued.Add(uint64(len(ms)))
	if err := rq.Requeue(ctx, sub.bs, ms); err != nil {
		s.logger().Error("requeue failed; messages dropped", "dest", sub.bs.Destination, "count", len(ms), "err", err)
	}
}
