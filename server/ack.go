package server

import (
	"bytes"
	"cmp"
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
)

// A pendingAck is a message delivered to a subscription that acknowledges
// (ack:client or client-individual) and not yet ACKed or NACKed.
type pendingAck struct {
	n   uint64
	sub *subscription
	m   *broker.Message
}

// acks holds a session's pending messages. Lock order: acks.mu before
// session.mu; never held while calling the broker.
type acks struct {
	mu     sync.Mutex
	byID   map[uint64]*pendingAck
	closed bool // the session has ended; nothing more is recorded
}

func (a *acks) add(p *pendingAck) {
	a.byID[p.n] = p
	p.sub.pending = append(p.sub.pending, p.n)
}

// take removes and returns what acknowledging n settles: n alone, or for
// ack:client n and every earlier message of its subscription. ok is false
// when n is not pending.
func (a *acks) take(n uint64, peek bool) (settled []*pendingAck, ok bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p := a.byID[n]
	if p == nil {
		return nil, false
	}
	if peek {
		return nil, true
	}
	sub := p.sub
	i, _ := slices.BinarySearch(sub.pending, n)
	from := i
	if sub.mode == ackClient {
		from = 0
	}
	for _, m := range sub.pending[from : i+1] {
		settled = append(settled, a.byID[m])
		delete(a.byID, m)
	}
	sub.pending = slices.Delete(sub.pending, from, i+1)
	return settled, true
}

// dropSubscription removes and returns every message pending on sub.
func (a *acks) dropSubscription(sub *subscription) []*pendingAck {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]*pendingAck, 0, len(sub.pending))
	for _, n := range sub.pending {
		out = append(out, a.byID[n])
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
	return 0, raw, protoErr("unknown ack id", "%s names %q, which is not a message awaiting acknowledgement in this session", f.Command, truncate(string(raw)))
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
	settled, ok := s.acks.take(n, false)
	if !ok {
		return protoErr("unknown ack id", "%s names %q, which is not a message awaiting acknowledgement in this session", f.Command, truncate(string(raw)))
	}
	if !ack {
		s.requeue(settled)
	}
	return nil
}

// requeue gives unacknowledged queue messages back to the broker, oldest
// first; topic messages are dropped. It must not be called with acks.mu
// held.
func (s *session) requeue(ps []*pendingAck) {
	rq, ok := s.srv.cfg.Broker.(broker.Requeuer)
	if !ok || len(ps) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, p := range ps {
		if err := rq.Requeue(ctx, p.sub.bs, []*broker.Message{p.m}); err != nil {
			s.log.Error("requeue failed; message dropped", "dest", p.m.Destination, "err", err)
		}
	}
}
