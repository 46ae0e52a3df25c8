package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/stompbox/stompbox/broker/amqp"
	"github.com/stompbox/stompbox/limit"
	"github.com/stompbox/stompbox/metrics"
	"github.com/stompbox/stompbox/server"
	"github.com/stompbox/stompbox/sse"
)

// registerMetrics adds the collectors of everything run serves to reg; the
// handler and store histograms were registered as they were made.
func registerMetrics(reg *prometheus.Registry, conns *limit.Conns, stomp *server.Server, events *sse.Server, b *nodeBroker) {
	reg.MustRegister(
		metrics.NewConnsCollector(conns.Stats),
		metrics.NewServerCollector(stomp.Stats),
		metrics.NewSSECollector(events.Stats),
		metrics.NewBrokerCollector(b.memory.Stats), // with RabbitMQ, the node's local broker
	)
	if b.rabbit != nil {
		reg.MustRegister(newAMQPCollector(b.rabbit.Stats))
	}
}

// amqpCollector reports the RabbitMQ link's Stats as stompbox_amqp_*. It
// lives here, not in package metrics, so that metrics does not pull in the
// AMQP driver.
type amqpCollector struct {
	stats                               func() amqp.Stats
	up, reconnects, bindings, bindCalls *prometheus.Desc
	queues, lateAcks, forgotten         *prometheus.Desc
}

func newAMQPCollector(stats func() amqp.Stats) *amqpCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(metrics.Namespace, "amqp", name), help, nil, nil)
	}
	return &amqpCollector{
		stats:      stats,
		up:         d("up", "1 while the link to RabbitMQ is up, 0 while it is down."),
		reconnects: d("reconnects_total", "Times the link to RabbitMQ was made again after it was lost."),
		bindings:   d("bindings", "Routing keys bound now."),
		bindCalls:  d("bind_calls_total", "queue.bind calls made, reconnects aside."),
		queues:     d("queues", "/queue/ destinations consumed from RabbitMQ now."),
		lateAcks:   d("late_acks_total", "ACKs of queue messages whose channel was gone (RabbitMQ delivers them again)."),
		forgotten:  d("forgotten_total", "Queue messages held locally when their link was lost (RabbitMQ delivers them again)."),
	}
}

func (c *amqpCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.reconnects, c.bindings, c.bindCalls, c.queues, c.lateAcks, c.forgotten} {
		ch <- d
	}
}

func (c *amqpCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	up := 0.0
	if st.Healthy {
		up = 1
	}
	g := func(d *prometheus.Desc, t prometheus.ValueType, v float64) {
		ch <- prometheus.MustNewConstMetric(d, t, v)
	}
	g(c.up, prometheus.GaugeValue, up)
	g(c.reconnects, prometheus.CounterValue, float64(st.Reconnects))
	g(c.bindings, prometheus.GaugeValue, float64(st.Bindings))
	g(c.bindCalls, prometheus.CounterValue, float64(st.BindCalls))
	g(c.queues, prometheus.GaugeValue, float64(st.Queues))
	g(c.lateAcks, prometheus.CounterValue, float64(st.LateAcks))
	g(c.forgotten, prometheus.CounterValue, float64(st.Forgotten))
}
