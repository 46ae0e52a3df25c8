package server

import "sync/atomic"

// Stats are a Server's counters since it started: what it holds now and
// every documented way a message can be dropped (see docs/guarantees.md).
type Stats struct {
	Sessions int // open sessions, connected or not

	SlowConsumers uint64 // sessions closed because MaxQueuedBytes was exceeded
	// TopicDropped counts topic messages a subscriber did not get after
	// all: those a slow consumer's cut discarded unwritten, and those an
	// ack:client or client-individual subscriber NACKed or left
	// unacknowledged. A topic message is never kept for a subscriber.
	TopicDropped uint64
	// Requeued counts queue messages given back to the broker: NACKed,
	// left unacknowledged by a session that ended, or queued to a session
	// that was closed before they were written.
	Requeued uint64
	// UserUnreachable counts SENDs to /user/{name}/... that reached no
	// session; with a receipt header the sender got an ERROR instead.
	UserUnreachable uint64
}

// counters are the Server's atomic counters behind Stats.
type counters struct {
	slowConsumers, topicDropped, requeued, userUnreachable atomic.Uint64
}

// Stats returns a snapshot of the counters.
func (srv *Server) Stats() Stats {
	c := &srv.counters
	return Stats{
		Sessions:        srv.Sessions(),
		SlowConsumers:   c.slowConsumers.Load(),
		TopicDropped:    c.topicDropped.Load(),
		Requeued:        c.requeued.Load(),
		UserUnreachable: c.userUnreachable.Load(),
	}
}
