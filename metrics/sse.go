package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stompbox/stompbox/sse"
)

// SSECollector reports the event stream endpoint's Stats as stompbox_sse_*.
type SSECollector struct {
	stats                                      func() sse.Stats
	streams, topics, idle, slow, replayRefused *prometheus.Desc
}

var _ prometheus.Collector = (*SSECollector)(nil)

// NewSSECollector returns a collector calling stats (an sse.Server's
// Stats) once per scrape.
func NewSSECollector(stats func() sse.Stats) *SSECollector {
	const sub = "sse"
	return &SSECollector{
		stats:   stats,
		streams: desc(sub, "streams", "Server-Sent Event streams (GET /events) open now."),
		topics:  desc(sub, "topics", "Destinations SSE streams listen to now, idle ones included."),
		idle:    desc(sub, "idle_topics", "Destinations no stream listens to, kept for resuming."),
		slow:    desc(sub, "slow_consumers_total", "Streams ended because they fell too far behind."),
		replayRefused: desc(sub, "replays_refused_total",
			"Resumes sent a gap event instead of a replay because -sse-max-replays were under way."),
	}
}

// Describe implements prometheus.Collector.
func (c *SSECollector) Describe(ch chan<- *prometheus.Desc) {
	describe(ch, c.streams, c.topics, c.idle, c.slow, c.replayRefused)
}

// Collect implements prometheus.Collector.
func (c *SSECollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	gauge(ch, c.streams, float64(st.Streams))
	gauge(ch, c.topics, float64(st.Topics))
	gauge(ch, c.idle, float64(st.IdleTopics))
	counter(ch, c.slow, st.SlowConsumers)
	counter(ch, c.replayRefused, st.ReplaysRefused)
}
