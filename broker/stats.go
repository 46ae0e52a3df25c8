package broker

import "sync/atomic"

// MemoryStats is a snapshot of what the memory broker holds and has
// refused or dropped since it started.
type MemoryStats struct {
	Destinations int   // destinations with a subscription or held messages
	Patterns     int   // pattern subscriptions
	HeldBytes    int64 // bytes held by all queues

	RefusedFull         uint64 // publishes refused by MaxHeld, MaxQueueBytes or MaxBytes
	RefusedDestinations uint64 // refused by MaxDestinations
	RefusedPatterns     uint64 // pattern subscriptions refused by MaxPatterns
	Requeued            uint64 // messages given back (NACK, or a consumer that went)
	// PrivateDropped counts messages to a private (user) queue whose
	// session had gone: nobody could ever receive them.
	PrivateDropped uint64
}

type memoryCounters struct {
	refusedFull, refusedDestinations, refusedPatterns, requeued, privateDropped atomic.Uint64
}

// Stats returns a snapshot.
func (b *Memory) Stats() MemoryStats {
	b.mu.RLock()
	n := len(b.dests)
	b.mu.RUnlock()
	c := &b.counters
	return MemoryStats{
		Destinations: n, Patterns: b.patternCount(), HeldBytes: b.heldBytes.Load(),
		RefusedFull: c.refusedFull.Load(), RefusedDestinations: c.refusedDestinations.Load(),
		RefusedPatterns: c.refusedPatterns.Load(), Requeued: c.requeued.Load(),
		PrivateDropped: c.privateDropped.Load(),
	}
}
