package sse

// Stats are counters of a Server, for operators.
type Stats struct {
	Streams       int    // streams open now
	Topics        int    // destinations listened to, idle ones included
	IdleTopics    int    // destinations no stream listens to, kept for BufferAge
	SlowConsumers uint64 // streams ever ended as slow consumers
	// ReplaysRefused counts resumes sent a gap event instead of a replay
	// from the Log because MaxReplays were under way.
	ReplaysRefused uint64
}

// Stats returns the Server's counters now. It is safe to call at any time.
func (s *Server) Stats() Stats {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	return Stats{Streams: h.streams, Topics: len(h.topics), IdleTopics: h.idles.n, SlowConsumers: h.slow.Load(), ReplaysRefused: h.replayRefused.Load()}
}
