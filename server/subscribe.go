package server

import (
	"errors"
	"strconv"
	"strings"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/pattern"
)

// ackMode is a subscription's acknowledgement mode.
type ackMode uint8

const (
	ackAuto             ackMode = iota // the server considers a message acknowledged once sent
	ackClient                          // cumulative: an ACK covers earlier messages of the subscription
	ackClientIndividual                // each message is acknowledged on its own
)

func parseAckMode(b []byte, present bool) (ackMode, bool) {
	if !present {
		return ackAuto, true
	}
	switch string(b) {
	case "auto":
		return ackAuto, true
	case "client":
		return ackClient, true
	case "client-individual":
		return ackClientIndividual, true
	}
	return 0, false
}

// A subscription is one of a session's subscriptions; the broker delivers
// to it.
type subscription struct {
	s        *session
	bs       *broker.Subscription // ID is the client's; Destination the broker's
	dest     string               // the destination as the client wrote it
	mode     ackMode
	app      bool   // answered by the application once; not in the broker
	prefetch int    // queue messages it may have in flight: unwritten (ack:auto) or unacknowledged
	hdr      []byte // "subscription:<id>\n", encoded once for the session's version

	// Guarded by s.acks.mu.
	pending  []uint64 // unacknowledged message numbers, ascending
	inflight int      // ack:auto queue messages queued to the socket, not yet written
	starved  bool     // refused a queue message for want of room; resumed when it has some
}

// Deliver implements broker.Subscriber.
func (sub *subscription) Deliver(_ *broker.Subscription, m *broker.Message) bool {
	return sub.s.deliver(sub, m)
}

func (s *session) onSubscribe(f *frame.Frame) *ProtocolError {
	dest, perr := s.destination(f)
	if perr != nil {
		return perr
	}
	id, ok := f.Header.Lookup(frame.HdrID)
	if !ok {
		if s.version() >= frame.V1_1 {
			return protoErr("missing id", "SUBSCRIBE needs an id header")
		}
		id = []byte(dest) // STOMP 1.0: the destination names the subscription
	}
	ack, hasAck := f.Header.Lookup(frame.HdrAck)
	mode, ok := parseAckMode(ack, hasAck)
	if !ok {
		return protoErr("invalid ack mode", "ack must be auto, client or client-individual, not %q", frame.Truncate(string(ack)))
	}
	prefetch, perr := s.prefetch(f)
	if perr != nil {
		return perr
	}
	if _, dup := s.subs[string(id)]; dup {
		return protoErr("duplicate subscription", "subscription id %q is already in use", frame.Truncate(string(id)))
	}
	if max := s.srv.cfg.MaxSubscriptions; len(s.subs) >= max {
		return protoErr("too many subscriptions", "a session may hold %d subscriptions (MaxSubscriptions)", max)
	}
	if h := s.srv.cfg.OnSubscribe; h != nil {
		s.enterApp()
		err := h(s.ctx, s.info, dest)
		s.leaveApp()
		if err != nil {
			s.logger().Info("subscribe denied", "dest", dest, "err", err)
			return denied("subscribe to", dest, err)
		}
	}
	sub := &subscription{s: s, mode: mode, dest: dest, prefetch: prefetch}
	sub.bs = &broker.Subscription{ID: string(id), Destination: dest, Subscriber: sub}
	sub.hdr = frame.AppendHeader(nil, frame.HdrSubscription, sub.bs.ID, s.version())
	if done, perr := s.subscribeApp(sub, f.Header); done || perr != nil {
		return perr
	}
	if ud, ok := userDestination(dest); ok {
		if !broker.ValidDestination(ud) {
			return protoErr("unknown destination", "cannot subscribe to %q: user destinations are /user/topic/... or /user/queue/...", frame.Truncate(dest))
		}
		sub.bs.Destination = privateDestination(ud, s.id)
	} else if !pattern.HasWildcard(dest) && !broker.ValidDestination(dest) {
		return protoErr("unknown destination", "cannot subscribe to %q: destinations start with /topic/, /queue/ or /user/", frame.Truncate(dest))
	}
	// Registered before the broker can deliver, so an ACK always finds it.
	s.subs[sub.bs.ID] = sub
	waits := s.enterBroker()
	err := s.srv.cfg.Broker.Subscribe(s.ctx, sub.bs)
	if waits {
		s.leaveApp()
	}
	if err != nil {
		delete(s.subs, sub.bs.ID)
		switch {
		case errors.Is(err, broker.ErrBadDestination):
			return protoErr("invalid destination", "%v", err)
		case errors.Is(err, broker.ErrTooManyDestinations):
			return protoErr("too many destinations", "%v", err)
		case errors.Is(err, broker.ErrTooManyPatterns):
			return protoErr("too many pattern subscriptions", "%v", err)
		}
		s.logger().Error("subscribe failed", "dest", dest, "err", err)
		return protoErr("subscribe failed", "could not subscribe to %s", frame.Truncate(dest))
	}
	s.subscribed(sub)
	return nil
}

// subscribeApp offers a SUBSCRIBE to the application, like Spring's
// @SubscribeMapping: its reply goes to this subscriber only, once, and the
// broker never sees the subscription.
func (s *session) subscribeApp(sub *subscription, h frame.Header) (done bool, perr *ProtocolError) {
	app, ok := s.srv.cfg.App.(SubscribeApplication)
	if !ok {
		return false, nil
	}
	s.enterApp()
	handled, reply, err := app.HandleSubscribe(s.ctx, sub.dest, h)
	s.leaveApp()
	if !handled {
		return false, nil
	}
	if perr := s.appError(err, sub.dest); perr != nil {
		return true, perr
	}
	sub.app = true
	s.subs[sub.bs.ID] = sub
	s.subscribed(sub)
	if reply != nil {
		reply.Shown = sub.dest
		s.enqueue(s.message(sub, reply, s.seq.Add(1), false))
	}
	return true, nil
}

// userDestination returns what /user/queue/x subscribes to: /queue/x.
func userDestination(dest string) (string, bool) {
	rest, ok := strings.CutPrefix(dest, UserPrefix+"/")
	return "/" + rest, ok
}

func (s *session) subscribed(sub *subscription) {
	s.srv.reg.subscribed(s, sub.bs.ID, sub.dest)
	s.logger().Debug("subscribed", "dest", sub.dest, "id", sub.bs.ID)
	s.event(Subscribed, sub.bs.ID, sub.dest)
}

func (s *session) onUnsubscribe(f *frame.Frame) *ProtocolError {
	id, ok := f.Header.Lookup(frame.HdrID)
	if !ok && s.version() == frame.V1_0 {
		id, ok = f.Header.Lookup(frame.HdrDestination)
	}
	if !ok {
		return protoErr("missing id", "UNSUBSCRIBE needs an id header")
	}
	sub := s.subs[string(id)]
	if sub == nil {
		return protoErr("unknown subscription", "no subscription with id %q", frame.Truncate(string(id)))
	}
	s.unsubscribe(sub)
	s.event(Unsubscribed, sub.bs.ID, sub.dest)
	return nil
}

// unsubscribe ends sub and gives its unacknowledged queue messages back.
func (s *session) unsubscribe(sub *subscription) {
	delete(s.subs, sub.bs.ID)
	s.srv.reg.unsubscribed(s, sub.bs.ID)
	if sub.app {
		return
	}
	waits := s.enterBroker()
	err := s.srv.cfg.Broker.Unsubscribe(s.ctx, sub.bs)
	if waits {
		s.leaveApp()
	}
	if err != nil {
		s.logger().Error("unsubscribe failed", "dest", sub.bs.Destination, "err", err)
	}
	s.requeue(s.acks.dropSubscription(sub))
}

// prefetch returns how many queue messages a new subscription may have in
// flight: its prefetch-count header (RabbitMQ's name), or Config.Prefetch.
func (s *session) prefetch(f *frame.Frame) (int, *ProtocolError) {
	v, ok := f.Header.Lookup(hdrPrefetchCount)
	if !ok {
		return s.srv.cfg.Prefetch, nil
	}
	max := s.srv.cfg.MaxUnacked
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 1 || n > max {
		return 0, protoErr("invalid prefetch-count", "prefetch-count must be a number from 1 to %d (MaxUnacked), not %q", max, frame.Truncate(string(v)))
	}
	return n, nil
}

const hdrPrefetchCount = "prefetch-count"

// deliver enqueues a MESSAGE: the session's own header lines in front of
// the message's shared bytes. It reports whether it took m.
//
// A queue message is refused, and stays in the broker for another consumer
// or for later, when this subscription already has its prefetch in flight,
// when the session's unacknowledged bytes or queued bytes are at their
// budget (unless the subscription has nothing in flight, so a lone large
// message still moves), or when the session is closing. A refusal marks the
// subscription starved; it resumes once an ACK, NACK or write makes room.
//
// For a subscription that acknowledges, the message is recorded as pending
// first, under the ack lock, so numbers and queue order agree and an ACK can
// never overtake its message.
func (s *session) deliver(sub *subscription, m *broker.Message) bool {
	queue := strings.HasPrefix(m.Destination, broker.QueuePrefix)
	if sub.mode == ackAuto && !queue {
		o := s.message(sub, m, s.seq.Add(1), false)
		o.topic = true
		origin, _ := m.Origin().(*session)
		return s.enqueueFrom(o, origin)
	}
	cfg := &s.srv.cfg
	size := m.Size()
	a := &s.acks
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return false
	}
	if sub.mode == ackAuto {
		if sub.inflight >= sub.prefetch || sub.inflight > 0 && s.queuedBytes()+int(size) > cfg.MaxQueuedBytes/2 {
			a.starve(sub)
			return false
		}
		o := s.message(sub, m, s.seq.Add(1), false)
		o.sub, o.m = sub, m
		if !s.enqueue(o) {
			return false
		}
		sub.inflight++
		return true
	}
	overCount := len(a.byID) >= cfg.MaxUnacked
	overBytes := len(a.byID) > 0 && a.bytes+size > cfg.MaxUnackedBytes
	switch {
	case queue && (len(sub.pending) >= sub.prefetch || overCount || overBytes && len(sub.pending) > 0):
		a.starve(sub)
		return false
	case !queue && overCount:
		s.fail(protoErr("too many unacknowledged messages", "a session may hold %d unacknowledged messages (MaxUnacked)", cfg.MaxUnacked), nil)
		return false
	case !queue && overBytes:
		s.fail(protoErr("too many unacknowledged bytes", "a session may hold %d bytes of unacknowledged messages (MaxUnackedBytes)", cfg.MaxUnackedBytes), nil)
		return false
	}
	p := &pendingAck{n: s.seq.Add(1), sub: sub, m: m, size: size}
	a.add(p)
	o := s.message(sub, m, p.n, true)
	o.topic = !queue
	if !s.enqueue(o) {
		a.remove(p) // not sent: the broker offers it to someone else
		return false
	}
	return true
}

// message returns the MESSAGE frame for delivery number n: the bytes every
// subscriber shares, and what enqueue needs to write the session's own
// header lines (appendHead) into the session's buffer of them, so a
// delivery allocates nothing.
func (s *session) message(sub *subscription, m *broker.Message, n uint64, ack bool) outFrame {
	v := s.version()
	return outFrame{msg: sub, n: n, ackHdr: ack && v >= frame.V1_2, redelivered: m.Redelivered, shared: m.Encoded(v), text: m.IsText()}
}

// appendHead appends o's own header lines: the command, subscription,
// message-id, and ack and redelivered where they apply.
func (s *session) appendHead(dst []byte, o *outFrame) []byte {
	dst = append(dst, frame.MESSAGE+"\n"...)
	dst = append(dst, o.msg.hdr...)
	dst = s.appendMessageID(append(dst, frame.HdrMessageID+":"...), o.n)
	if o.ackHdr {
		dst = s.appendMessageID(append(dst, frame.HdrAck+":"...), o.n)
	}
	if o.redelivered {
		dst = append(dst, "redelivered:true\n"...)
	}
	return dst
}

// appendMessageID appends "<session>-<n>\n": unique in the server, and
// naming its session, so an ACK for another session's message is unknown.
func (s *session) appendMessageID(dst []byte, n uint64) []byte {
	dst = append(dst, s.id...)
	dst = append(dst, '-')
	dst = strconv.AppendUint(dst, n, 10)
	return append(dst, '\n')
}
