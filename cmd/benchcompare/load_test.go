package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// flagValue is the value after name in args, or "" when name is absent.
func flagValue(args []string, name string) string {
	if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

func TestBenchArgs(t *testing.T) {
	c, _ := parseFlags(nil)
	s := &server{name: "x", url: "ws://127.0.0.1:1/chat-app", pid: 42, login: "guest", passcode: "guest"}
	idle := benchArgs(c, s, load{mode: "idle", subs: 19000})
	for name, want := range map[string]string{"-subs": "19000", "-pubs": "0", "-window": "", "-rate": "", "-rooms": "",
		"-dest": "", "-send-dest": "", "-pid": "42", "-login": "guest", "-heartbeat": "10s"} {
		if got := flagValue(idle, name); got != want {
			t.Errorf("idle: %s %q, want %q in %q", name, got, want, idle)
		}
	}
	app := load{mode: "window", subs: 1000, pubs: 1, window: 10, dest: "/topic/echo.%d", sendDest: "/app/echo/%d"}
	args := benchArgs(c, s, app)
	for name, want := range map[string]string{"-subs": "1000", "-pubs": "1", "-window": "10",
		"-dest": "/topic/echo.%d", "-send-dest": "/app/echo/%d", "-rate": "", "-heartbeat": ""} {
		if got := flagValue(args, name); got != want {
			t.Errorf("%v: %s %q, want %q in %q", app, name, got, want, args)
		}
	}
	if got := app.String(); got != "1,000 subscribers, closed window through /app/echo/{room}" {
		t.Errorf("String %q", got)
	}
	if args[0] != "-c" || args[1] != c.clientCPU {
		t.Errorf("not pinned to -client-cpu: %q", args)
	}
}

func TestDefaults(t *testing.T) {
	c, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.subs, []int{10, 100, 1000, 5000, 10000}) {
		t.Errorf("subs %v", c.subs)
	}
	if c.rooms != 1000 || c.roomMembers != 10 || c.roomsWindow != 2 {
		t.Errorf("rooms %d × %d, window %d", c.rooms, c.roomMembers, c.roomsWindow)
	}
	if !slices.Equal(c.servers, []string{"stompbox", "parity", "refserver", "rabbitmq"}) {
		t.Errorf("servers %v", c.servers)
	}
	if !slices.Equal(c.compared(), []string{"stompbox", "refserver", "rabbitmq"}) {
		t.Errorf("compared %v", c.compared())
	}
	if c.bigSubs() != 10000 {
		t.Errorf("bigSubs %d", c.bigSubs())
	}
}

func TestRoomsArgs(t *testing.T) {
	c, _ := parseFlags(nil)
	s := &server{name: "stompbox", url: "ws://127.0.0.1:1/chat-app", pid: 42}
	g := loads(c)
	rooms := g[len(g)-1][len(g[len(g)-1])-1]
	if rooms.mode != "rooms" {
		t.Fatalf("last load %v, want the rooms load", rooms)
	}
	args := benchArgs(c, s, rooms)
	for name, want := range map[string]string{"-subs": "0", "-pubs": "10000", "-rooms": "1000", "-window": "2",
		"-dest": "", "-send-dest": "", "-rate": ""} {
		if got := flagValue(args, name); got != want {
			t.Errorf("rooms load: %s %q, want %q in %q", name, got, want, args)
		}
	}
	if got := rooms.String(); got != "1,000 rooms × 10 members, everyone publishing" {
		t.Errorf("rooms load: %q", got)
	}
}

func TestParityArgs(t *testing.T) {
	c, _ := parseFlags(nil)
	s := &server{name: "parity", url: "ws://127.0.0.1:1/chat-app", pid: 42}
	g := parityLoads(c)
	if len(g) != 1 || len(g[0]) != 4 {
		t.Fatalf("parity loads %v, want one group of four", g)
	}
	for i, l := range g[0] {
		args := benchArgs(c, s, l)
		if got := flagValue(args, "-dest"); got != "/topic/echo.%d" {
			t.Errorf("%v: -dest %q", l, got)
		}
		wantSend := ""
		if i%2 == 1 {
			wantSend = "/app/echo/%d"
		}
		if got := flagValue(args, "-send-dest"); got != wantSend {
			t.Errorf("%v: -send-dest %q, want %q", l, got, wantSend)
		}
		if l.viaApp() != (wantSend != "") || strings.Contains(l.String(), "/app/") != l.viaApp() {
			t.Errorf("%v: viaApp %v", l, l.viaApp())
		}
	}
	if l := g[0][1]; l.mode != "window" || l.subs != c.rateSubs || flagValue(benchArgs(c, s, l), "-window") != strconv.Itoa(c.window) {
		t.Errorf("second parity load %+v, want the closed window at -rate-subs through /app", l)
	}
	if l := g[0][3]; l.mode != "rooms" || flagValue(benchArgs(c, s, l), "-rooms") != "1000" {
		t.Errorf("last parity load %+v, want the rooms load through /app", l)
	}
}

func TestFit(t *testing.T) {
	k := kindOf("rabbitmq")
	run, skipped := k.fit([]load{
		{mode: "idle", subs: 19000},
		{mode: "window", subs: 10000, pubs: 1},
		{mode: "window", subs: 20000, pubs: 1},
		{mode: "rooms", pubs: 10000, rooms: 1000},
	})
	if len(run) != 3 || run[0].subs != rabbitConns || run[1].subs != 10000 || run[2].mode != "rooms" {
		t.Errorf("run %+v", run)
	}
	if len(skipped) != 1 || skipped[0].Subs != 20000 || !strings.Contains(skipped[0].Skipped, "20,001 connections") {
		t.Errorf("skipped %+v", skipped)
	}
	if run, skipped := kindOf("stompbox").fit([]load{{mode: "window", subs: 20000, pubs: 1}}); len(run) != 1 || len(skipped) != 0 {
		t.Errorf("stompbox: run %v, skipped %v", run, skipped)
	}
}

func TestMarkdown(t *testing.T) {
	c, _ := parseFlags([]string{"-subs", "10,1000,20000"})
	rep := func(perSec float64) *report {
		r := &report{DeliveriesPerSec: perSec, Delivered: 1000, Seconds: 1}
		r.Latency.P99 = 2000
		return r
	}
	var rs []result
	for _, s := range []string{"stompbox", "refserver", "rabbitmq"} {
		for _, n := range c.subs {
			rs = append(rs, result{Server: s, Mode: "window", Subs: n, Pubs: 1, Report: rep(1000)})
		}
		rs = append(rs, result{Server: s, Mode: "rooms", Pubs: 10000, Rooms: 1000, Window: 2, Report: rep(2000)})
	}
	rs[len(rs)-2].Report, rs[len(rs)-2].Skipped = nil, "20,001 connections, more than the 17,500 it holds here"
	for _, l := range parityLoads(c)[0] {
		r := newResult("parity", l)
		r.Report = rep(1000)
		if l.viaApp() {
			r.Report = rep(400)
		}
		rs = append(rs, r)
	}
	md := string(markdown(c, machine{}, rs))
	for _, want := range []string{
		"| **Closed window**, 20,000 subscribers: deliveries/s | 1k | 1k | not run |",
		"| **Rooms**, 1,000 rooms × 10 members, everyone publishing: deliveries/s | 2k | 2k | 2k |",
		"- RabbitMQ Web-STOMP, 20,000 subscribers, closed window: 20,001 connections, more than the 17,500 it holds here",
		"## Through an application handler",
		"| closed window, 1,000 subscribers: deliveries/s | 1k | 400 | **0.40×** |",
		"**not met** for closed window, 1,000 subscribers (0.40×)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("no %q in\n%s", want, md)
		}
	}
	if strings.Contains(md, "| stompbox library, examples/parity |") || strings.Contains(md, " | stompbox library, examples/parity | refserver") {
		t.Errorf("parity is a column of the comparison:\n%s", md)
	}
}
