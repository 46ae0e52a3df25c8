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
	"strings"
	"time"
)

// A load is one stompbench run's shape.
type load struct {
	mode   string // "idle", "rate", "window" or "rooms"
	subs   int    // subscriber connections
	pubs   int    // publisher connections (rooms: every member publishes)
	rooms  int    // topics the connections are spread over; 0 is one
	window int    // closed loop: messages each publisher keeps outstanding
	// dest is the destination pattern subscribers (and closed-window
	// publishers) subscribe to, %d the room; "" is stompbench's
	// /topic/bench.%d. sendDest, when not "", is where publishers SEND
	// instead: an application destination that relays to dest.
	dest, sendDest string
}

// idleHeartbeat is what the idle load's connections offer and send: what
// @stomp/stompjs, the browsers' client, does by default.
const idleHeartbeat = 10 * time.Second

// conns is the connections the load holds at once.
func (l load) conns() int { return l.subs + l.pubs }

// viaApp says whether publishers send through an application handler.
func (l load) viaApp() bool { return l.sendDest != "" }

func (l load) String() string {
	var s string
	switch l.mode {
	case "idle":
		s = count(float64(l.subs)) + " idle connections"
	case "rate":
		s = count(float64(l.subs)) + " subscribers at a fixed rate"
	case "rooms":
		s = fmt.Sprintf("%s rooms × %s members, everyone publishing", count(float64(l.rooms)), count(float64(l.pubs/max(l.rooms, 1))))
	default:
		s = count(float64(l.subs)) + " subscribers, closed window"
	}
	if l.viaApp() {
		s += " through " + pattern(l.sendDest)
	} else if l.dest != "" {
		s += " to " + pattern(l.dest)
	}
	return s
}

// pattern shows a destination pattern with {room} for its %d.
func pattern(dest string) string { return strings.ReplaceAll(dest, "%d", "{room}") }

// A result is one load against one server.
type result struct {
	Server   string  `json:"server"`
	Mode     string  `json:"mode"`
	Subs     int     `json:"subs"`
	Pubs     int     `json:"pubs,omitempty"`
	Rooms    int     `json:"rooms,omitempty"`
	Window   int     `json:"window,omitempty"`
	Dest     string  `json:"dest,omitempty"`
	SendDest string  `json:"send_dest,omitempty"`
	Report   *report `json:"report,omitempty"`
	Err      string  `json:"err,omitempty"`     // stompbench could not run or report
	Skipped  string  `json:"skipped,omitempty"` // why the load was not run
}

func newResult(server string, l load) result {
	return result{Server: server, Mode: l.mode, Subs: l.subs, Pubs: l.pubs, Rooms: l.rooms,
		Window: l.window, Dest: l.dest, SendDest: l.sendDest}
}

// load is the load r ran.
func (r result) load() load {
	return load{mode: r.Mode, subs: r.Subs, pubs: r.Pubs, rooms: r.Rooms, window: r.Window,
		dest: r.Dest, sendDest: r.SendDest}
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

// benchArgs is taskset's command line for stompbench, pinned to the
// client's core, with l against s.
func benchArgs(c *config, s *server, l load) []string {
	args := []string{"-c", c.clientCPU, filepath.Join(c.bin, "stompbench"),
		"-url", s.url, "-subprotocol", "v12.stomp", "-json",
		"-pid", strconv.Itoa(s.pid), "-subs", strconv.Itoa(l.subs), "-pubs", strconv.Itoa(l.pubs),
		"-size", "100", "-duration", c.duration.String(), "-timeout", "30s"}
	if s.login != "" {
		args = append(args, "-login", s.login, "-passcode", s.passcode)
	}
	if l.rooms > 1 {
		args = append(args, "-rooms", strconv.Itoa(l.rooms))
	}
	if l.dest != "" {
		args = append(args, "-dest", l.dest)
	}
	if l.sendDest != "" {
		args = append(args, "-send-dest", l.sendDest)
	}
	switch l.mode {
	case "idle":
		args = append(args, "-heartbeat", idleHeartbeat.String())
	case "rate":
		args = append(args, "-rate", strconv.FormatFloat(c.rate, 'g', -1, 64))
	case "window", "rooms":
		args = append(args, "-window", strconv.Itoa(l.window))
	}
	return args
}

// bench runs stompbench with l against s and returns its report. Its
// progress lines go to a log file beside the output; a run that lost or
// was refused anything still reports (exit status 1), which the document
// shows.
func bench(ctx context.Context, c *config, s *server, l load) result {
	res := newResult(s.name, l)
	args := benchArgs(c, s, l)
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
