package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stompbox/stompbox/server"
)

// ServerCollector reports a STOMP server's Stats as stompbox_stomp_*.
type ServerCollector struct {
	stats func() server.Stats

	sessions, queued, framesIn, framesOut, deliveries, bytesOut *prometheus.Desc
	slowConsumers, topicDropped, requeued, userUnreachable      *prometheus.Desc
}

var _ prometheus.Collector = (*ServerCollector)(nil)

// NewServerCollector returns a collector calling stats (a Server's Stats)
// once per scrape.
func NewServerCollector(stats func() server.Stats) *ServerCollector {
	const sub = "stomp"
	return &ServerCollector{
		stats:      stats,
		sessions:   desc(sub, "sessions", "STOMP sessions open now (WebSocket and TCP), connected or not."),
		queued:     desc(sub, "queued_bytes", "Bytes waiting in all sessions' outbound queues now."),
		framesIn:   desc(sub, "frames_received_total", "Frames read from clients, by command.", "command"),
		framesOut:  desc(sub, "frames_sent_total", "Frames written to clients, by command (heart-beats are not frames).", "command"),
		deliveries: desc(sub, "deliveries_total", "MESSAGE frames written to subscribers."),
		bytesOut:   desc(sub, "sent_bytes_total", "Bytes of the frames written to clients, without WebSocket framing."),
		slowConsumers: desc(sub, "slow_consumers_total",
			"Sessions closed because more than -max-queued-bytes waited to be sent to them."),
		topicDropped: desc(sub, "topic_dropped_total",
			"Topic messages a subscriber did not get after all: discarded by a slow-consumer cut, NACKed or left unacknowledged."),
		requeued: desc(sub, "requeued_total",
			"Queue messages given back to the broker: NACKed, unacknowledged when their session ended, or never written."),
		userUnreachable: desc(sub, "user_unreachable_total", "SENDs to /user/{name}/... that reached no session."),
	}
}

// Describe implements prometheus.Collector.
func (c *ServerCollector) Describe(ch chan<- *prometheus.Desc) {
	describe(ch, c.sessions, c.queued, c.framesIn, c.framesOut, c.deliveries, c.bytesOut,
		c.slowConsumers, c.topicDropped, c.requeued, c.userUnreachable)
}

// Collect implements prometheus.Collector.
func (c *ServerCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	gauge(ch, c.sessions, float64(st.Sessions))
	gauge(ch, c.queued, float64(st.QueuedBytes))
	for cmd, n := range st.FramesIn {
		counter(ch, c.framesIn, n, cmd)
	}
	for cmd, n := range st.FramesOut {
		counter(ch, c.framesOut, n, cmd)
	}
	counter(ch, c.deliveries, st.Deliveries)
	counter(ch, c.bytesOut, st.BytesOut)
	counter(ch, c.slowConsumers, st.SlowConsumers)
	counter(ch, c.topicDropped, st.TopicDropped)
	counter(ch, c.requeued, st.Requeued)
	counter(ch, c.userUnreachable, st.UserUnreachable)
}
