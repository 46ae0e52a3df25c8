package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// report is what a run measured; -json prints it as it is.
type report struct {
	Options    optionsSummary `json:"options"`
	GOMAXPROCS int            `json:"gomaxprocs"`
	Connect    connectReport  `json:"connect"`

	Seconds          float64   `json:"seconds"`
	Sent             uint64    `json:"sent"`
	SentPerSec       float64   `json:"sent_per_sec"`
	Expected         uint64    `json:"expected_deliveries"`
	Delivered        uint64    `json:"delivered"`
	DeliveriesPerSec float64   `json:"deliveries_per_sec"`
	Latency          quantiles `json:"latency"`

	Lost         uint64 `json:"lost"`
	Duplicated   uint64 `json:"duplicated"`
	Foreign      uint64 `json:"foreign"`
	ErrorFrames  uint64 `json:"error_frames"`
	SocketErrors uint64 `json:"socket_errors"`

	Client clientReport  `json:"client"`
	Server *serverReport `json:"server,omitempty"`
}

type optionsSummary struct {
	URL      string  `json:"url"`
	Subs     int     `json:"subs"`
	Pubs     int     `json:"pubs"`
	Rooms    int     `json:"rooms"`
	Mode     string  `json:"mode"`
	Rate     float64 `json:"rate,omitempty"`
	Window   int     `json:"window,omitempty"`
	Size     int     `json:"size"`
	Duration string  `json:"duration"`
	// Heartbeat is the interval offered both ways (-heartbeat), if any.
	Heartbeat string `json:"heartbeat,omitempty"`
}

func (o *options) summary() optionsSummary {
	s := optionsSummary{URL: o.url, Subs: o.subs, Pubs: o.pubs, Rooms: o.rooms, Size: o.size, Duration: o.duration.String()}
	switch {
	case o.pubs == 0:
		s.Mode = "idle"
	case o.windowed():
		s.Mode, s.Window = "window", o.window
	default:
		s.Mode, s.Rate = "rate", o.rate
	}
	if o.heartbeat > 0 {
		s.Heartbeat = o.heartbeat.String()
	}
	return s
}

type connectReport struct {
	Connections  int       `json:"connections"`
	Failed       int       `json:"failed"`
	TotalSeconds float64   `json:"total_seconds"`
	Time         quantiles `json:"time"`
}

type clientReport struct {
	CPUSeconds       float64 `json:"cpu_seconds"`
	CPUPerDeliveryUs float64 `json:"cpu_per_delivery_us"`
	Utilization      float64 `json:"utilization"` // CPU seconds per second of publishing
	RSSBytes         int64   `json:"rss_bytes"`
	RSSPerConnKiB    float64 `json:"rss_per_conn_kib"`
}

type serverReport struct {
	Pid               int     `json:"pid"`
	CPUSeconds        float64 `json:"cpu_seconds"`
	CPUPerDeliveryUs  float64 `json:"cpu_per_delivery_us"`
	RSSBeforeBytes    int64   `json:"rss_before_bytes"`
	RSSConnectedBytes int64   `json:"rss_connected_bytes"`
	RSSEndBytes       int64   `json:"rss_end_bytes"`
	RSSPerConnKiB     float64 `json:"rss_per_conn_kib"`
	Error             string  `json:"error,omitempty"`
}

// failed reports whether the run lost, duplicated or was refused anything.
func (r *report) failed() bool {
	return r.Lost > 0 || r.Duplicated > 0 || r.ErrorFrames > 0 || r.SocketErrors > 0 || r.Connect.Failed > 0
}

func (r *report) writeJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(r)
}

func (r *report) writeTable(w io.Writer) error {
	t := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	o := r.Options
	load := fmt.Sprintf("%d msg/s per publisher", int(o.Rate))
	switch o.Mode {
	case "window":
		load = fmt.Sprintf("closed window of %d per publisher", o.Window)
	case "idle":
		load = "idle (no publishers)"
	}
	row := func(k, f string, a ...any) { fmt.Fprintf(t, "%s\t"+f+"\n", append([]any{k}, a...)...) }
	row("target", "%s", o.URL)
	row("load", "%d subscribers, %d publishers, %d rooms, %s, %d-byte bodies, %s", o.Subs, o.Pubs, o.Rooms, load, o.Size, o.Duration)
	c := r.Connect
	row("connections", "%d open, %d failed, in %.2fs (p50 %s, p99 %s, max %s)", c.Connections, c.Failed, c.TotalSeconds, us(c.Time.P50), us(c.Time.P99), us(c.Time.Max))
	if o.Mode != "idle" {
		row("sent", "%d (%.0f/s)", r.Sent, r.SentPerSec)
		row("deliveries", "%d of %d expected; %.0f/s while publishing", r.Delivered, r.Expected, r.DeliveriesPerSec)
		l := r.Latency
		row("latency", "p50 %s  p99 %s  p99.9 %s  max %s  (mean %s, publish to deliver)", us(l.P50), us(l.P99), us(l.P999), us(l.Max), us(int64(l.Mean)))
	}
	row("lost", "%d", r.Lost)
	row("duplicated", "%d", r.Duplicated)
	row("errors", "%d ERROR frames, %d socket errors", r.ErrorFrames, r.SocketErrors)
	if r.Foreign > 0 {
		row("foreign", "%d messages not from this run's publishers", r.Foreign)
	}
	cl := r.Client
	row("stompbench", "%.2f CPU s (%.0f%% of a core, GOMAXPROCS %d), %.2f µs/delivery, RSS %s (%.1f KiB/conn)",
		cl.CPUSeconds, 100*cl.Utilization, r.GOMAXPROCS, cl.CPUPerDeliveryUs, mib(cl.RSSBytes), cl.RSSPerConnKiB)
	if s := r.Server; s != nil {
		if s.Error != "" {
			row("server", "pid %d: %s", s.Pid, s.Error)
		} else {
			row("server", "pid %d: %.2f CPU s, %.2f µs/delivery; RSS %s before, %s connected (%.1f KiB/conn), %s at the end",
				s.Pid, s.CPUSeconds, s.CPUPerDeliveryUs, mib(s.RSSBeforeBytes), mib(s.RSSConnectedBytes), s.RSSPerConnKiB, mib(s.RSSEndBytes))
		}
	}
	verdict := "ok"
	if r.failed() {
		verdict = "FAILED: lost, duplicated or refused messages, or failed connections"
	}
	row("result", "%s", verdict)
	return t.Flush()
}

// us formats microseconds.
func us(v int64) string { return (time.Duration(v) * time.Microsecond).String() }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
