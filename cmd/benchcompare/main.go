package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is benchcompare's flags.
type config struct {
	bin       string
	docs      string
	logPath   string
	duration  time.Duration
	window    int
	rate      float64
	rateSubs  int
	idleConns int
	subs      []int
	// The rooms load: rooms × roomMembers connections, each in one room,
	// each publishing with roomsWindow messages outstanding.
	rooms       int
	roomMembers int
	roomsWindow int
	servers     []string
	serverCPU   string
	clientCPU   string
}

func main() {
	c, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcompare:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "benchcompare:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("benchcompare", flag.ContinueOnError)
	fs.StringVar(&c.bin, "bin", "bin", "directory of stompbox, parity, refserver and stompbench")
	fs.StringVar(&c.docs, "docs", "docs", "where benchmarks.md and the charts are written")
	fs.StringVar(&c.logPath, "log", "test-results/bench-compare.log", "stompbench's command lines, progress and JSON reports")
	fs.DurationVar(&c.duration, "duration", 5*time.Second, "how long each load publishes (or holds its idle connections)")
	fs.IntVar(&c.window, "window", 100, "closed-window loads: messages the publisher keeps outstanding (enough that the server or stompbench, not the round trip, is the limit)")
	fs.Float64Var(&c.rate, "rate", 10, "fixed-rate load: messages a second")
	fs.IntVar(&c.rateSubs, "rate-subs", 1000, "fixed-rate load: subscribers")
	fs.IntVar(&c.idleConns, "idle-conns", 19000, "idle load: connections (each process may open 20,000 files here)")
	subs := fs.String("subs", "10,100,1000,5000,10000", "closed-window loads: subscriber counts, for the table and the charts; a server skips those over its connection limit")
	fs.IntVar(&c.rooms, "rooms", 1000, "rooms load: rooms (topics); 0 skips the rooms loads")
	fs.IntVar(&c.roomMembers, "room-members", 10, "rooms load: members of each room, every one subscribed to it and publishing to it")
	fs.IntVar(&c.roomsWindow, "rooms-window", 2, "rooms load: messages each member keeps outstanding")
	servers := fs.String("servers", "stompbox,parity,refserver,rabbitmq", "servers to compare, in this order (parity runs only the application-handler loads)")
	fs.StringVar(&c.serverCPU, "server-cpu", "0", "taskset CPU list of the server")
	fs.StringVar(&c.clientCPU, "client-cpu", "1", "taskset CPU list of stompbench")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `benchcompare runs the same loads against stompbox, the reference server and
RabbitMQ Web-STOMP, each pinned to its own core, and the same loads direct
and through an application handler (/app/echo/{room}) against the stompbox
library's examples/parity, and writes docs/benchmarks.md with SVG charts of
throughput and latency.

Usage: benchcompare [flags]

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	for _, f := range strings.Split(*subs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-subs %q: want positive counts", *subs)
		}
		c.subs = append(c.subs, n)
	}
	slices.Sort(c.subs)
	c.subs = slices.Compact(c.subs)
	for _, name := range strings.Split(*servers, ",") {
		if !slices.ContainsFunc(kinds, func(k kind) bool { return k.name == name }) {
			return nil, fmt.Errorf("-servers: unknown %q", name)
		}
		c.servers = append(c.servers, name)
	}
	if c.rooms < 0 || c.roomMembers < 1 || c.roomsWindow < 1 {
		return nil, fmt.Errorf("-rooms %d, -room-members %d, -rooms-window %d: want rooms from 0, members and window from 1",
			c.rooms, c.roomMembers, c.roomsWindow)
	}
	if !slices.Contains(c.subs, c.rateSubs) {
		return nil, fmt.Errorf("-subs %q must include -rate-subs %d: the headline closed-window figures come from that run", *subs, c.rateSubs)
	}
	return c, nil
}

func run(ctx context.Context, c *config) error {
	bins := []string{"stompbench"}
	for _, name := range c.servers {
		if k := kindOf(name); k.bin != "" {
			bins = append(bins, k.bin)
		}
	}
	for _, b := range bins {
		if _, err := os.Stat(filepath.Join(c.bin, b)); err != nil {
			return fmt.Errorf("%w (run make build first)", err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(c.logPath), 0o755); err != nil {
		return err
	}
	os.Remove(c.logPath)
	started := time.Now()
	var results []result
	for _, name := range c.servers {
		rs, err := runServer(ctx, c, kindOf(name))
		results = append(results, rs...)
		if err != nil {
			return err
		}
	}
	m := machineInfo()
	m.took = time.Since(started)
	return writeDocs(c, m, results)
}

// loads is what every server but parity runs: the idle load on a fresh
// process, then the rest on another.
func loads(c *config) [][]load {
	idle := []load{{mode: "idle", subs: c.idleConns}}
	rest := []load{{mode: "rate", subs: c.rateSubs, pubs: 1}}
	for _, n := range c.subs {
		rest = append(rest, load{mode: "window", subs: n, pubs: 1, window: c.window})
	}
	rest = append(rest, c.roomsLoads("")...)
	return [][]load{idle, rest}
}

// roomsLoads is the rooms load to dest ("" for stompbench's default), or
// none when -rooms is 0.
func (c *config) roomsLoads(dest string) []load {
	if c.rooms == 0 {
		return nil
	}
	return []load{{mode: "rooms", pubs: c.rooms * c.roomMembers, rooms: c.rooms, window: c.roomsWindow, dest: dest}}
}

// Where parity's echo handler takes messages and where it relays them.
const (
	echoDest = "/topic/echo.%d"
	echoApp  = "/app/echo/%d"
)

// parityLoads is what parity runs, on one process: the closed window
// with -rate-subs subscribers and the rooms load, each first published
// straight to the topic and then through the /app/echo handler.
func parityLoads(c *config) [][]load {
	direct := []load{{mode: "window", subs: c.rateSubs, pubs: 1, window: c.window, dest: echoDest}}
	direct = append(direct, c.roomsLoads(echoDest)...)
	var g []load
	for _, l := range direct {
		app := l
		app.sendDest = echoApp
		g = append(g, l, app)
	}
	return [][]load{g}
}

// runServer runs a kind's loads, each group on a fresh process, as many
// as it can hold (fit).
func runServer(ctx context.Context, c *config, k kind) ([]result, error) {
	var results []result
	for _, g := range k.loads(c) {
		run, skipped := k.fit(g)
		for _, r := range skipped {
			logf("%s: %s: skipped, %s", k.name, r.load(), r.Skipped)
		}
		results = append(results, skipped...)
		if len(run) == 0 {
			continue
		}
		logf("%s: starting", k.name)
		s, err := k.start(ctx, c)
		if err != nil {
			if s != nil {
				s.stop()
			}
			return results, fmt.Errorf("start %s: %w", k.name, err)
		}
		for _, l := range run {
			if ctx.Err() != nil {
				s.stop()
				return results, ctx.Err()
			}
			s.quiesce(30 * time.Second)
			logf("%s: %s", k.name, l)
			r := bench(ctx, c, s, l)
			logf("%s: %s", k.name, r.summary())
			results = append(results, r)
		}
		s.stop()
	}
	return results, nil
}

// fit is the loads of g that k can hold, the idle load capped at its
// connections, and a skipped result for each of the others.
func (k kind) fit(g []load) (run []load, skipped []result) {
	for _, l := range g {
		switch {
		case k.maxConns == 0 || l.conns() <= k.maxConns:
			run = append(run, l)
		case l.mode == "idle":
			l.subs = k.maxConns
			run = append(run, l)
		default:
			r := newResult(k.name, l)
			r.Skipped = fmt.Sprintf("%s connections, more than the %s it holds here", count(float64(l.conns())), count(float64(k.maxConns)))
			skipped = append(skipped, r)
		}
	}
	return run, skipped
}

func (r result) summary() string {
	if r.Err != "" {
		return r.Err
	}
	if r.Skipped != "" {
		return "skipped: " + r.Skipped
	}
	p := r.Report
	s := fmt.Sprintf("%d connected in %.1fs", p.Connect.Connections, p.Connect.TotalSeconds)
	if r.Mode == "idle" && p.Server != nil {
		s += fmt.Sprintf(", %.1f KiB/conn", p.Server.RSSPerConnKiB)
	} else {
		s += fmt.Sprintf(", %.0f deliveries/s, p50 %s p99 %s", p.DeliveriesPerSec, usText(p.Latency.P50), usText(p.Latency.P99))
		if p.Server != nil {
			s += fmt.Sprintf(", server %.2f µs/delivery (%.0f%% of its core)", p.Server.CPUPerDeliveryUs, 100*p.serverShare())
		}
		s += fmt.Sprintf(", stompbench %.0f%% of its core", 100*p.Client.Utilization)
	}
	if t := p.trouble(); t != "" {
		s += "; " + t
	}
	return s
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format(time.TimeOnly)}, a...)...)
}
