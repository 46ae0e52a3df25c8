package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// A load is one stompbench run's shape.
type load struct {
	mode string // "idle", "rate" or "window"
	subs int
}

func (l load) String() string {
	switch l.mode {
	case "idle":
		return count(float64(l.subs)) + " idle connections"
	case "rate":
		return count(float64(l.subs)) + " subscribers at a fixed rate"
	}
	return count(float64(l.subs)) + " subscribers, closed window"
}

// A result is one load against one server.
type result struct {
	Server string  `json:"server"`
	Mode   string  `json:"mode"`
	Subs   int     `json:"subs"`
	Report *report `json:"report,omitempty"`
	Err    string  `json:"err,omitempty"` // stompbench could not run or report
}

// report is the part of stompbench's -json report used here.
type report struct {
	Connect struct {
		Connections  int     `json:"connections"`
		Failed       int     `json:"failed"`
		TotalSeconds float64 `json:"total_seconds"`
	} `json:"connect"`
	Seconds          float64 `json:"seconds"`
	Sent             uint64  `json:"sent"`
	Delivered        uint64  `json:"delivered"`
	DeliveriesPerSec float64 `json:"deliveries_per_sec"`
	Latency          struct {
		P50  int64 `json:"p50_us"`
		P99  int64 `json:"p99_us"`
		P999 int64 `json:"p999_us"`
		Max  int64 `json:"max_us"`
	} `json:"latency"`
	Lost         uint64 `json:"lost"`
	Duplicated   uint64 `json:"duplicated"`
	ErrorFrames  uint64 `json:"error_frames"`
	SocketErrors uint64 `json:"socket_errors"`
	Client       struct {
		CPUPerDeliveryUs float64 `json:"cpu_per_delivery_us"`
		Utilization      float64 `json:"utilization"`
	} `json:"client"`
	Server *struct {
		CPUSeconds       float64 `json:"cpu_seconds"`
		CPUPerDeliveryUs float64 `json:"cpu_per_delivery_us"`
		RSSPerConnKiB    float64 `json:"rss_per_conn_kib"`
		RSSBeforeBytes   int64   `json:"rss_before_bytes"`
		RSSConnected     int64   `json:"rss_connected_bytes"`
		Error            string  `json:"error"`
	} `json:"server"`
}

// serverShare is the server's CPU seconds per second of publishing: 1 is
// all of its core.
func (r *report) serverShare() float64 {
	if r.Server == nil || r.Seconds == 0 {
		return 0
	}
	return r.Server.CPUSeconds / r.Seconds
}

// trouble says what went wrong in a run, or "".
func (r *report) trouble() string {
	var s string
	add := func(n uint64, what string) {
		if n > 0 {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("%d %s", n, what)
		}
	}
	add(uint64(r.Connect.Failed), "failed connections")
	add(r.Lost, "lost")
	add(r.Duplicated, "duplicated")
	add(r.ErrorFrames, "ERROR frames")
	add(r.SocketErrors, "socket errors")
	if r.Server != nil && r.Server.Error != "" {
		add(1, "server /proc error: "+r.Server.Error)
	}
	return s
}

// bench runs stompbench, pinned to the client's core, with l against s
// and returns its report. Its progress lines go to a log file beside the
// output; a run that lost or was refused anything still reports (exit
// status 1), which the document shows.
func bench(ctx context.Context, c *config, s *server, l load) result {
	res := result{Server: s.name, Mode: l.mode, Subs: l.subs}
	args := []string{"-c", c.clientCPU, filepath.Join(c.bin, "stompbench"),
		"-url", s.url, "-subprotocol", "v12.stomp", "-json",
		"-pid", strconv.Itoa(s.pid), "-subs", strconv.Itoa(l.subs),
		"-size", "100", "-duration", c.duration.String(), "-timeout", "30s"}
	if s.login != "" {
		args = append(args, "-login", s.login, "-passcode", s.passcode)
	}
	switch l.mode {
	case "idle":
		args = append(args, "-pubs", "0")
	case "rate":
		args = append(args, "-pubs", "1", "-rate", strconv.FormatFloat(c.rate, 'g', -1, 64))
	case "window":
		args = append(args, "-pubs", "1", "-window", strconv.Itoa(c.window))
	}
	cmd := exec.CommandContext(ctx, "taskset", args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	logf, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	defer logf.Close()
	fmt.Fprintf(logf, "\n== %s: %s (%s)\n$ taskset %q\n", s.name, l, time.Now().Format(time.TimeOnly), args)
	cmd.Stderr = logf
	err = cmd.Run()
	var r report
	if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil {
		res.Err = fmt.Sprintf("stompbench: %v; no report: %v", err, jerr)
		return res
	}
	fmt.Fprintf(logf, "%s\n", out.Bytes())
	res.Report = &r
	return res
}
