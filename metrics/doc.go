// Package metrics exposes stompbox's counters in the Prometheus text format
// (prometheus/client_golang), for a /metrics endpoint.
//
// The counters themselves live where they are counted, in the packages'
// Stats snapshots ([server.Server.Stats], [broker.Memory.Stats],
// [sse.Server.Stats], [limit.Conns.Stats]); the collectors here read those
// snapshots once per scrape, so the message path pays nothing for being
// measured. Two histograms are filled as things happen, off the fan-out
// path: [Handlers] times the messaging layer's handlers (one time.Now pair
// per call, through messaging.Config.OnHandled) and [TimeStore] times the
// chat history store's calls.
//
//	reg := metrics.NewRegistry()
//	reg.MustRegister(metrics.NewServerCollector(stomp.Stats))
//	http.Handle("/metrics", metrics.Handler(reg))
//
// Every label has a small fixed set of values (STOMP commands, the paths
// handlers were registered with, store operations, outcomes): nothing a
// client sends becomes a label, so no destination, user name or message
// text appears in a scrape and a client cannot grow the number of series.
//
// Everything here is safe for concurrent use.
package metrics
