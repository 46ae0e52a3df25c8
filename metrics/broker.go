package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stompbox/stompbox/broker"
)

// BrokerCollector reports the in-memory broker's Stats as stompbox_broker_*
// (with RabbitMQ, those of the node's local broker).
type BrokerCollector struct {
	stats                             func() broker.MemoryStats
	dests, patterns, held             *prometheus.Desc
	refused, requeued, privateDropped *prometheus.Desc
}

var _ prometheus.Collector = (*BrokerCollector)(nil)

// NewBrokerCollector returns a collector calling stats (a broker.Memory's
// Stats) once per scrape.
func NewBrokerCollector(stats func() broker.MemoryStats) *BrokerCollector {
	const sub = "broker"
	return &BrokerCollector{
		stats:    stats,
		dests:    desc(sub, "destinations", "Destinations with a subscription or held messages now."),
		patterns: desc(sub, "patterns", "Pattern subscriptions (/topic/rooms.*) now."),
		held:     desc(sub, "held_bytes", "Bytes held by all queues now."),
		refused: desc(sub, "refused_total",
			`Refusals, by the budget that refused: "full" (publishes past -max-held, -max-queue-bytes or -max-broker-bytes), "destinations" (-max-destinations), "patterns" (-max-patterns).`, "reason"),
		requeued:       desc(sub, "requeued_total", "Queue messages given back to their queue (NACK, or a consumer that went)."),
		privateDropped: desc(sub, "private_dropped_total", "Messages to a user's private queue whose session had gone."),
	}
}

// Describe implements prometheus.Collector.
func (c *BrokerCollector) Describe(ch chan<- *prometheus.Desc) {
	describe(ch, c.dests, c.patterns, c.held, c.refused, c.requeued, c.privateDropped)
}

// Collect implements prometheus.Collector.
func (c *BrokerCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	gauge(ch, c.dests, float64(st.Destinations))
	gauge(ch, c.patterns, float64(st.Patterns))
	gauge(ch, c.held, float64(st.HeldBytes))
	counter(ch, c.refused, st.RefusedFull, "full")
	counter(ch, c.refused, st.RefusedDestinations, "destinations")
	counter(ch, c.refused, st.RefusedPatterns, "patterns")
	counter(ch, c.requeued, st.Requeued)
	counter(ch, c.privateDropped, st.PrivateDropped)
}
