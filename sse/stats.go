package sse

// Stats are counters of a Server, for operators.
type Stats struct {
	Topics     int // destinations listened to, idle ones included
	IdleTopics int // destinations no stream listens to, kept for BufferAge
}

// Stats returns the Server's counters now. It is safe to call at any time.
func (s *Server) Stats() Stats {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	return Stats{Topics: len(h.topics), IdleTopics: h.idles.n}
}
