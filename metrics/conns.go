package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stompbox/stompbox/limit"
)

// ConnsCollector reports a connection budget's Stats as
// stompbox_connections_*.
type ConnsCollector struct {
	stats                    func() limit.ConnStats
	open, peak, ips, refused *prometheus.Desc
}

var _ prometheus.Collector = (*ConnsCollector)(nil)

// NewConnsCollector returns a collector calling stats (a limit.Conns's
// Stats) once per scrape.
func NewConnsCollector(stats func() limit.ConnStats) *ConnsCollector {
	const sub = "connections"
	return &ConnsCollector{
		stats:   stats,
		open:    desc(sub, "open", "Connections open now: WebSocket, SSE, plain HTTP and STOMP over TCP together."),
		peak:    desc(sub, "peak", "Most connections open at once since the start."),
		ips:     desc(sub, "client_addresses", "Distinct client addresses (IPv6: /64s) holding connections now."),
		refused: desc(sub, "refused_total", "Connections refused by -max-connections or -max-connections-per-ip."),
	}
}

// Describe implements prometheus.Collector.
func (c *ConnsCollector) Describe(ch chan<- *prometheus.Desc) {
	describe(ch, c.open, c.peak, c.ips, c.refused)
}

// Collect implements prometheus.Collector.
func (c *ConnsCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	gauge(ch, c.open, float64(st.Open))
	gauge(ch, c.peak, float64(st.Peak))
	gauge(ch, c.ips, float64(st.IPs))
	counter(ch, c.refused, st.Refused)
}
