package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// titles are the servers' names in the document, colors their lines.
var (
	titles = map[string]string{"stompbox": "stompbox", "parity": "stompbox library, examples/parity",
		"refserver": "refserver", "rabbitmq": "RabbitMQ Web-STOMP"}
	colors = map[string]string{"stompbox": "#1f77b4", "parity": "#9467bd", "refserver": "#2ca02c", "rabbitmq": "#ff7f0e"}
)

// compared is the servers that run the common loads, the columns of the
// comparison: every one but parity, which has its own section.
func (c *config) compared() []string {
	var out []string
	for _, s := range c.servers {
		if !kindOf(s).handler {
			out = append(out, s)
		}
	}
	return out
}

// bigSubs is the largest closed-window subscriber count, which has rows
// of its own in the results, or 0 when it is no larger than -rate-subs.
func (c *config) bigSubs() int {
	if n := c.subs[len(c.subs)-1]; n > c.rateSubs {
		return n
	}
	return 0
}

// busy is the share of a core above which a process counts as the limit.
const busy = 0.9

// results is every run, found by server, mode and subscribers.
type results []result

// find finds a run, published straight to its topic or through an
// application handler (app); subs 0 matches any count.
func (rs results) find(server, mode string, subs int, app bool) *result {
	for i, r := range rs {
		if r.Server == server && r.Mode == mode && (r.Subs == subs || subs == 0) && (r.SendDest != "") == app {
			return &rs[i]
		}
	}
	return nil
}

// get is a direct run's report, nil if it did not run or report.
func (rs results) get(server, mode string, subs int) *report {
	if r := rs.find(server, mode, subs, false); r != nil {
		return r.Report
	}
	return nil
}

// skipped lists the loads a server did not run, and why.
func (rs results) skipped() []string {
	var out []string
	for _, r := range rs {
		if r.Skipped != "" {
			out = append(out, fmt.Sprintf("%s, %s: %s", titles[r.Server], r.load(), r.Skipped))
		}
	}
	return out
}

// writeDocs writes benchmarks.md and the two charts into c.docs.
func writeDocs(c *config, m machine, all []result) error {
	rs := results(all)
	th := &chart{title: "Throughput, one topic, closed window of " + fmt.Sprint(c.window),
		xLabel: "subscribers of one topic, one publisher (log scale)", yLabel: "deliveries a second (log scale)",
		logY: true, yFormat: perSecond}
	lat := &chart{title: "p99 publish-to-deliver latency, same runs",
		xLabel: "subscribers of one topic, one publisher (log scale)", yLabel: "p99 latency (log scale)", logY: true,
		yFormat: func(v float64) string { return usText(int64(v)) }}
	for _, n := range c.subs {
		th.xs = append(th.xs, float64(n))
	}
	lat.xs = th.xs
	for _, s := range c.compared() {
		ts, ls := series{name: titles[s], color: colors[s]}, series{name: titles[s], color: colors[s]}
		for _, n := range c.subs {
			if r := rs.get(s, "window", n); r != nil && r.Delivered > 0 {
				ts.points = append(ts.points, point{float64(n), r.DeliveriesPerSec})
				ls.points = append(ls.points, point{float64(n), float64(r.Latency.P99)})
			}
		}
		th.series, lat.series = append(th.series, ts), append(lat.series, ls)
	}
	files := map[string][]byte{
		"bench-throughput.svg": th.svg(),
		"bench-latency.svg":    lat.svg(),
		"benchmarks.md":        markdown(c, m, rs),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(c.docs, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func markdown(c *config, m machine, rs results) []byte {
	var b bytes.Buffer
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	servers := c.compared()
	cols := func(f func(s string) string) string {
		var cells []string
		for _, s := range servers {
			cells = append(cells, f(s))
		}
		return strings.Join(cells, " | ")
	}
	header := func(first string) {
		p("| %s | %s |", first, cols(func(s string) string { return titles[s] }))
		p("|---|%s", strings.Repeat("--:|", len(servers)))
	}
	n1k := c.rateSubs
	big := c.bigSubs()
	roomsTitle := fmt.Sprintf("%s rooms × %s members", count(float64(c.rooms)), count(float64(c.roomMembers)))
	parity := slices.Contains(c.servers, "parity") && rs.find("parity", "window", 0, false) != nil

	p("# Benchmarks: stompbox, the reference server and RabbitMQ Web-STOMP")
	p("")
	p("This file is written by `make bench-compare` (`cmd/benchcompare`); edit that, not this.")
	p("Last run %s at commit `%s`; it took %s. Every figure is one run of %s, not an average:",
		m.date.Format("2006-01-02 15:04 UTC"), m.commit, m.took.Round(time.Second), c.duration)
	p("on this shared virtual machine, runs a few minutes apart have differed by up to a factor of")
	p("two in closed-window throughput (stompbox at 100 subscribers: 441k and 852k a second; refserver")
	p("153k and 271k). The order of the servers' throughput held in every run; which of stompbox and")
	p("refserver had the lower p99 at 1,000 subscribers did not. Read the figures as rough, the")
	p("ratios as rougher.")
	p("")
	p("- **stompbox**: `bin/stompbox`, the in-memory broker, SQLite history in a temporary directory.")
	p("- **refserver**: `bin/refserver` (`bench/refserver`), the least a STOMP server can do: one direct")
	p("  write per delivery, no queue, no batching, no limits. A yardstick, not a product.")
	p("- **RabbitMQ Web-STOMP**: Debian's rabbitmq-server %s (Erlang %s) with the rabbitmq_web_stomp", m.rabbit, m.erlang)
	p("  plugin, a node of its own; each STOMP subscription to `/topic/...` is a queue bound to the")
	p("  `amq.topic` exchange, so RabbitMQ does more per subscriber by design.")
	if parity {
		p("- **%s**: `bin/parity`, the stompbox library with a Spring-parity", titles["parity"])
		p("  application, run only for [the loads through an application handler](#through-an-application-handler).")
	}
	p("")

	p("## The machine")
	p("")
	p("- %d CPUs (`nproc`): %s; %s of memory; %s.", m.cpus, m.model, m.memory, m.kernel)
	p("- %s; open-files hard limit %s per process.", m.goVer, countText(m.openMax))
	p("- The server runs pinned to CPU %s (`taskset -c %s`), stompbench to CPU %s. The Go servers", c.serverCPU, c.serverCPU, c.clientCPU)
	p("  therefore run with GOMAXPROCS 1 and the Erlang VM on one core. Client and server share the")
	p("  machine, so each has one core: **the load generator is itself near its limit in the faster")
	p("  runs** (its share of its core is in the tables; at %.0f%% or more it, not the server, may be", 100*busy)
	p("  what stopped the throughput from going higher).")
	if m.loadAvg != "" {
		p("- The load average at the end of the run was %s (1, 5, 15 minutes), on 2 CPUs with one", m.loadAvg)
		p("  load at a time: the virtual machine's CPUs are shared with work outside it, so a pinned")
		p("  process does not have its core to itself, and a server below 100%% of its core in a")
		p("  closed-window run may have been waiting for it.")
	}
	p("- Everything is on loopback: no network, so latencies are those of two busy processes, not of a wire.")
	p("")

	p("## What ran")
	p("")
	p("Every load but the rooms load is one topic (`/topic/bench.0`), STOMP 1.2 over WebSocket (`v12.stomp`),")
	p("100-byte JSON bodies, and lasts %s once every connection is subscribed. stompbench counts every", c.duration)
	p("message at every subscriber (lost, duplicated) and reads the server's CPU time and resident")
	p("memory from `/proc` (`-pid`).")
	p("")
	p("1. **Idle**: %s connections, each CONNECT (offering heart-beats every %s both ways, and sending", count(float64(c.idleConns)), idleHeartbeat)
	p("   them, as @stomp/stompjs does by default) and one SUBSCRIBE, held; resident memory per")
	p("   connection (server RSS once connected minus before, over the connections). %s and not", count(float64(c.idleConns)))
	p("   20,000 because one process may open %s files here and stompbench holds all the client ends.", countText(m.openMax))
	p("   RabbitMQ holds %s: it keeps 10%% of its open-files limit (%s, this machine's", count(rabbitConns), count(rabbitFiles))
	p("   per-process hard limit) for files and takes sockets only up to the rest, about 17,900; one past")
	p("   that waits for CONNECTED until it times out. Memory per connection compares all the same.")
	p("2. **Closed window**: %s subscribers and one publisher that keeps %d messages outstanding,", count(float64(n1k)), c.window)
	p("   each counted until it comes back on the publisher's own subscription: as fast as the pair")
	p("   can go. Deliveries a second and server CPU per delivery (server CPU time while")
	p("   publishing over deliveries). The same load at %s subscribers gives the charts.", countList(c.subs))
	if big > 0 {
		p("   %s subscribers, the most, also have rows of their own in the results.", count(float64(big)))
	}
	if len(rs.skipped()) > 0 {
		p("   A server does not run a load of more connections than it holds; the tables say \"not run\".")
	}
	p("3. **Fixed rate**: %s subscribers, one publisher at %g messages a second: latency from", count(float64(c.rateSubs)), c.rate)
	p("   publish to delivery at a load every server carries, and CPU per delivery.")
	item := 4
	if c.rooms > 0 {
		p("%d. **Rooms**: %s, everyone publishing: %s connections, each subscribed", item, roomsTitle, count(float64(c.rooms*c.roomMembers)))
		p("   to its room's topic (`/topic/bench.0` to `/topic/bench.%d`) and keeping %d messages", c.rooms-1, c.roomsWindow)
		p("   outstanding there, so every message goes to the %d members of its room, its publisher among", c.roomMembers)
		p("   them. Many small topics and many publishers, where the closed window is one topic and one publisher.")
		item++
	}
	if parity {
		p("%d. **Through an application handler**, %s only: the closed window", item, titles["parity"])
		what := "subscribers, published"
		if c.rooms > 0 {
			what = "subscribers and the rooms load, each published"
		}
		p("   at %s %s straight to `%s`, then sent to", count(float64(n1k)), what, pattern(echoDest))
		p("   `%s`, an `@MessageMapping` handler (`messaging.Handle`) that decodes the JSON body and", pattern(echoApp))
		p("   relays it unchanged to `%s` (`@SendTo`), where the subscribers are in both.", pattern(echoDest))
	}
	p("")
	p("Each server is started afresh for the idle load and again for the others (parity once for")
	p("all of its loads); between loads benchcompare waits until the server's CPU is quiet.")
	p("")

	p("## Results")
	p("")
	header("")
	row := func(label string, f func(s string) string) { p("| %s | %s |", label, cols(f)) }
	cell := func(mode string, subs int, f func(r *report) string) func(s string) string {
		return func(s string) string {
			r := rs.find(s, mode, subs, false)
			switch {
			case r != nil && r.Skipped != "":
				return "not run"
			case r == nil || r.Report == nil:
				return "—"
			}
			return f(r.Report)
		}
	}
	deliveries := func(r *report) string { return perSecond(r.DeliveriesPerSec) }
	row("**Idle** connections held", cell("idle", 0, func(r *report) string {
		return count(float64(r.Connect.Connections))
	}))
	row("server memory per connection", cell("idle", 0, func(r *report) string {
		if r.Server == nil {
			return "—"
		}
		return fmt.Sprintf("%.1f KiB", r.Server.RSSPerConnKiB)
	}))
	row("server RSS before → connected", cell("idle", 0, func(r *report) string {
		if r.Server == nil {
			return "—"
		}
		return fmt.Sprintf("%s → %s", mibText(r.Server.RSSBeforeBytes), mibText(r.Server.RSSConnected))
	}))
	row("time to connect them all", cell("idle", 0, func(r *report) string {
		return fmt.Sprintf("%.1f s", r.Connect.TotalSeconds)
	}))
	row(fmt.Sprintf("**Closed window**, %s subscribers: deliveries/s", count(float64(n1k))), cell("window", n1k, func(r *report) string {
		return perSecond(r.DeliveriesPerSec)
	}))
	row("server CPU per delivery", cell("window", n1k, cpuPerDelivery))
	row("latency p50 / p99", cell("window", n1k, latencies))
	row("server / stompbench share of their core", cell("window", n1k, shares))
	if big > 0 {
		row(fmt.Sprintf("**Closed window**, %s subscribers: deliveries/s", count(float64(big))), cell("window", big, deliveries))
		row("server CPU per delivery", cell("window", big, cpuPerDelivery))
		row("latency p50 / p99", cell("window", big, latencies))
		row("server / stompbench share of their core", cell("window", big, shares))
	}
	if c.rooms > 0 {
		row(fmt.Sprintf("**Rooms**, %s, everyone publishing: deliveries/s", roomsTitle), cell("rooms", 0, deliveries))
		row("server CPU per delivery", cell("rooms", 0, cpuPerDelivery))
		row("latency p50 / p99", cell("rooms", 0, latencies))
		row("server / stompbench share of their core", cell("rooms", 0, shares))
	}
	row(fmt.Sprintf("**Fixed rate**, %g msg/s × %s subscribers: latency p50 / p99", c.rate, count(float64(c.rateSubs))),
		cell("rate", c.rateSubs, latencies))
	row("deliveries/s", cell("rate", c.rateSubs, func(r *report) string { return perSecond(r.DeliveriesPerSec) }))
	row("server CPU per delivery", cell("rate", c.rateSubs, cpuPerDelivery))
	row("server / stompbench share of their core", cell("rate", c.rateSubs, shares))
	p("")
	p("Latency is from the publisher's send to each subscriber's receipt, over every delivery,")
	p("on stompbench's clock. A server at 100%% of its core is the limit of its closed-window run.")
	p("CPU time comes from `/proc/PID/stat` in 10 ms ticks, so a fixed-rate run's CPU per delivery")
	p("is coarse: %s deliveries at %g msg/s make one tick worth %.2f µs a delivery.",
		count(c.rate*float64(c.rateSubs)*c.duration.Seconds()), c.rate, 10000/(c.rate*float64(c.rateSubs)*c.duration.Seconds()))
	p("")
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		p("%s", title)
		p("")
		for _, it := range items {
			p("- %s", it)
		}
		p("")
	}
	list("**Not run:** these loads need more connections than the server holds here:", rs.skipped())
	list("**Not clean:** these runs lost, duplicated or were refused something:", rs.troubles())

	p("## Ratios")
	p("")
	p("stompbox's figure divided by the other server's: above 1 means stompbox's is larger, which is")
	p("better for throughput and worse for memory, CPU and latency.")
	p("")
	var others []string
	for _, s := range servers {
		if s != "stompbox" {
			others = append(others, s)
		}
	}
	hdr := "| measure | better |"
	sep := "|---|---|"
	for _, o := range others {
		hdr += " stompbox ÷ " + titles[o] + " |"
		sep += "--:|"
	}
	p("%s", hdr)
	p("%s", sep)
	ratioRow := func(label, better, mode string, subs int, f func(r *report) float64) {
		line := fmt.Sprintf("| %s | %s |", label, better)
		for _, o := range others {
			a, bb := rs.get("stompbox", mode, subs), rs.get(o, mode, subs)
			v := math.NaN()
			if a != nil && bb != nil && f(bb) != 0 {
				v = f(a) / f(bb)
			}
			line += " " + ratio(v) + " |"
		}
		p("%s", line)
	}
	serverVal := func(g func(r *report) float64) func(r *report) float64 {
		return func(r *report) float64 {
			if r.Server == nil {
				return 0
			}
			return g(r)
		}
	}
	ratioRow("idle memory per connection", "lower", "idle", 0, serverVal(func(r *report) float64 { return r.Server.RSSPerConnKiB }))
	ratioRow(fmt.Sprintf("closed window, %s subscribers: deliveries/s", count(float64(n1k))), "higher", "window", n1k, func(r *report) float64 { return r.DeliveriesPerSec })
	ratioRow("… server CPU per delivery", "lower", "window", n1k, serverVal(func(r *report) float64 { return r.Server.CPUPerDeliveryUs }))
	ratioRow("… p99 latency", "lower", "window", n1k, func(r *report) float64 { return float64(r.Latency.P99) })
	if big > 0 {
		ratioRow(fmt.Sprintf("closed window, %s subscribers: deliveries/s", count(float64(big))), "higher", "window", big, func(r *report) float64 { return r.DeliveriesPerSec })
		ratioRow("… server CPU per delivery", "lower", "window", big, serverVal(func(r *report) float64 { return r.Server.CPUPerDeliveryUs }))
		ratioRow("… p99 latency", "lower", "window", big, func(r *report) float64 { return float64(r.Latency.P99) })
	}
	if c.rooms > 0 {
		ratioRow(roomsTitle+": deliveries/s", "higher", "rooms", 0, func(r *report) float64 { return r.DeliveriesPerSec })
		ratioRow("… server CPU per delivery", "lower", "rooms", 0, serverVal(func(r *report) float64 { return r.Server.CPUPerDeliveryUs }))
		ratioRow("… p99 latency", "lower", "rooms", 0, func(r *report) float64 { return float64(r.Latency.P99) })
	}
	ratioRow("fixed rate: p50 latency", "lower", "rate", c.rateSubs, func(r *report) float64 { return float64(r.Latency.P50) })
	ratioRow("… p99 latency", "lower", "rate", c.rateSubs, func(r *report) float64 { return float64(r.Latency.P99) })
	ratioRow("… server CPU per delivery", "lower", "rate", c.rateSubs, serverVal(func(r *report) float64 { return r.Server.CPUPerDeliveryUs }))
	p("")

	if parity {
		handlerSection(p, c, rs, roomsTitle)
	}

	p("## Against the number of subscribers")
	p("")
	p("One topic, one publisher, closed window of %d; each cell is deliveries a second, p99", c.window)
	p("latency, and the share of a core the server / stompbench used while publishing.")
	p("")
	header("subscribers")
	for _, n := range c.subs {
		row(count(float64(n)), cell("window", n, func(r *report) string {
			return fmt.Sprintf("%s/s, p99 %s, %s", perSecond(r.DeliveriesPerSec), usText(r.Latency.P99), shares(r))
		}))
	}
	p("")
	p("![Deliveries a second against subscribers, one line per server](bench-throughput.svg)")
	p("")
	p("![p99 latency against subscribers, one line per server](bench-latency.svg)")
	p("")

	p("## What limited each run")
	p("")
	p("A closed-window run goes as fast as the slower of the two processes, or as the window allows.")
	p("")
	limits := rs.clientLimits()
	if len(limits) == 0 {
		p("In no run did stompbench use %.0f%% of its core or more.", 100*busy)
	} else {
		p("In these runs stompbench used %.0f%% of its core or more, so the server may have had more to", 100*busy)
		p("give than was measured; where the server's own share is well below 100%%, it certainly had:")
		p("")
		for _, l := range limits {
			p("- %s", l)
		}
		p("")
	}
	if idle := rs.windowLimits(); len(idle) > 0 {
		p("In these closed-window runs neither the server nor stompbench used %.0f%% of its core: the", 100*busy)
		p("window was the limit. With %d messages outstanding and every one waiting until the", c.window)
		p("publisher's own copy comes back, both sides spend part of the time waiting for the other;")
		p("a deeper `-window` would go faster here, and add latency:")
		p("")
		for _, l := range idle {
			p("- %s", l)
		}
		p("")
	}
	p("stompbench spends its CPU reading every delivery, and what that costs depends on how the")
	p("server writes: many frames coalesced into one write (stompbox) are cheaper to read than one")
	p("write per delivery (refserver), so the same stompbench core carries more deliveries of one")
	p("server than of the other. Servers faster than this client need it on more cores than this")
	p("machine has.")
	p("")

	p("## How to reproduce")
	p("")
	p("```sh")
	p("make build            # bin/stompbox (and the web app it embeds)")
	p("make bench-compare    # builds bin/stompbench, bin/refserver and bin/parity, runs everything, rewrites this file")
	p("make bench-compare BENCH_COMPARE_FLAGS='-duration 10s -subs 10,100,1000,5000,10000,15000 -rooms 500 -room-members 20'")
	p("```")
	p("")
	p("It needs Debian's rabbitmq-server (`make deps` installs it) with its bundled rabbitmq_stomp")
	p("and rabbitmq_web_stomp plugins, and taskset and setpriv (util-linux); run it as root or as a")
	p("user who may run rabbitmq-server. `go run ./cmd/benchcompare -h` lists the flags (durations,")
	p("window, rate, subscriber counts, rooms and their members, CPUs, which servers). stompbench's")
	p("command lines, progress and JSON reports go to `test-results/bench-compare.log`. The servers'")
	p("command lines:")
	p("")
	p("```sh")
	p("taskset -c %s bin/stompbox -addr 127.0.0.1:PORT -data TMPDIR -max-connections 30000 -max-connections-per-ip 30000 -log-level warn", c.serverCPU)
	p("taskset -c %s bin/parity -addr 127.0.0.1:PORT -clock 1h", c.serverCPU)
	p("taskset -c %s bin/refserver -addr 127.0.0.1:PORT -log-level warn", c.serverCPU)
	p("ulimit -n %d && setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups taskset -c %s rabbitmq-server", rabbitFiles, c.serverCPU)
	p("taskset -c %s bin/stompbench -url URL -subprotocol v12.stomp -json -pid PID -size 100 -duration %s ...", c.clientCPU, c.duration)
	p("```")
	p("")
	p("RabbitMQ runs with its data in a temporary directory, every listener on 127.0.0.1, and three")
	p("settings besides the ports: `default_vhost = 127.0.0.1`, because RabbitMQ takes STOMP's `host`")
	p("header as the virtual host and stompbench sends the URL's host; `web_stomp.ws_opts.idle_timeout`")
	p("raised, since only the idle load's connections send heart-beats; and `trailing_lf` off (advanced.config), so")
	p("frames end at their NUL: RabbitMQ's newline after each frame stalls a closed-window stompbench")
	p("publisher, which waits for its read buffer to empty before it sends. stompbench logs in as")
	p("guest/guest, allowed on loopback.")
	return b.Bytes()
}

// handlerGoal is the goal: through the application handler, at
// least this share of the direct deliveries a second.
const handlerGoal = 0.5

// handlerSection writes parity's direct and /app figures side by side.
func handlerSection(p func(string, ...any), c *config, rs results, roomsTitle string) {
	p("## Through an application handler")
	p("")
	p("`bin/parity` (`examples/parity`) is the stompbox library with a Spring-parity application;")
	p("its `@MessageMapping(\"/echo/{room}\") @SendTo(\"/topic/echo.{room}\")` handler decodes any JSON")
	p("body and relays it unchanged. Each load ran twice on the same process: publishers sending")
	p("straight to `%s`, then to `%s`; subscribers on `%s` in both.", pattern(echoDest), pattern(echoApp), pattern(echoDest))
	p("app ÷ direct is the handler's figure over the direct one. **The goal: through the handler at")
	p("least %g× the direct deliveries a second.**", handlerGoal)
	p("")
	p("| load | direct | through `%s` | app ÷ direct |", pattern(echoApp))
	p("|---|--:|--:|--:|")
	type measure struct {
		label string
		text  func(r *report) string
		value func(r *report) float64 // nil: no ratio
	}
	var verdicts []string
	section := func(title, mode string, subs int) {
		direct, app := rs.find("parity", mode, subs, false), rs.find("parity", mode, subs, true)
		if direct == nil && app == nil {
			return
		}
		var d, a *report
		if direct != nil {
			d = direct.Report
		}
		if app != nil {
			a = app.Report
		}
		for i, m := range []measure{
			{title + ": deliveries/s", func(r *report) string { return perSecond(r.DeliveriesPerSec) }, func(r *report) float64 { return r.DeliveriesPerSec }},
			{"… server CPU per delivery", cpuPerDelivery, func(r *report) float64 {
				if r.Server == nil {
					return 0
				}
				return r.Server.CPUPerDeliveryUs
			}},
			{"… latency p50 / p99 (ratio of p99)", latencies, func(r *report) float64 { return float64(r.Latency.P99) }},
			{"… server / stompbench share of their core", shares, nil},
		} {
			dc, ac, rc := "—", "—", "—"
			if d != nil {
				dc = m.text(d)
			}
			if a != nil {
				ac = m.text(a)
			}
			v := math.NaN()
			if d != nil && a != nil && m.value != nil && m.value(d) != 0 && d.Delivered > 0 && a.Delivered > 0 {
				v = m.value(a) / m.value(d)
				rc = ratio(v)
			}
			if i == 0 {
				rc = "**" + rc + "**"
				switch {
				case math.IsNaN(v):
					verdicts = append(verdicts, fmt.Sprintf("not measured for %s", title))
				case v >= handlerGoal:
					verdicts = append(verdicts, fmt.Sprintf("met for %s (%s)", title, ratio(v)))
				default:
					verdicts = append(verdicts, fmt.Sprintf("**not met** for %s (%s)", title, ratio(v)))
				}
			}
			p("| %s | %s | %s | %s |", m.label, dc, ac, rc)
		}
	}
	section(fmt.Sprintf("closed window, %s subscribers", count(float64(c.rateSubs))), "window", c.rateSubs)
	if c.rooms > 0 {
		section(roomsTitle+", everyone publishing", "rooms", 0)
	}
	p("")
	if len(verdicts) > 0 {
		p("The goal (app ÷ direct ≥ %g in deliveries/s): %s.", handlerGoal, strings.Join(verdicts, "; "))
	}
	p("The direct figures are the library as parity sets it up (the in-memory broker with its default")
	p("settings, no connection limits, every session event published to `/topic/events`), not the")
	p("stompbox binary, so they need not match the stompbox column above.")
	p("")
}

func cpuPerDelivery(r *report) string {
	if r.Server == nil || r.Delivered == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f µs", r.Server.CPUPerDeliveryUs)
}

func latencies(r *report) string {
	if r.Delivered == 0 {
		return "—"
	}
	return usText(r.Latency.P50) + " / " + usText(r.Latency.P99)
}

func shares(r *report) string {
	return fmt.Sprintf("%.0f%% / %.0f%%", 100*r.serverShare(), 100*r.Client.Utilization)
}

func ratio(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "—"
	case v >= 10:
		return fmt.Sprintf("%.0f×", v)
	case v >= 1:
		return fmt.Sprintf("%.1f×", v)
	}
	return fmt.Sprintf("%.2f×", v)
}

// troubles lists the runs that were not clean.
func (rs results) troubles() []string {
	var out []string
	for _, r := range rs {
		what := r.Err
		if r.Report != nil {
			what = r.Report.trouble()
		}
		if what != "" {
			out = append(out, fmt.Sprintf("%s, %s: %s", titles[r.Server], r.load(), what))
		}
	}
	return out
}

// clientLimits lists the publishing runs in which stompbench was busy.
func (rs results) clientLimits() []string {
	var out []string
	for _, r := range rs {
		if r.Report == nil || r.Mode == "idle" || r.Report.Client.Utilization < busy {
			continue
		}
		out = append(out, fmt.Sprintf("%s, %s: stompbench %.0f%%, server %.0f%%",
			titles[r.Server], r.load(), 100*r.Report.Client.Utilization, 100*r.Report.serverShare()))
	}
	return out
}

// windowLimits lists the closed-window runs in which neither process
// was busy.
func (rs results) windowLimits() []string {
	var out []string
	for _, r := range rs {
		if r.Report == nil || r.Mode != "window" || r.Report.Client.Utilization >= busy || r.Report.serverShare() >= busy {
			continue
		}
		out = append(out, fmt.Sprintf("%s, %s: server %.0f%%, stompbench %.0f%%",
			titles[r.Server], r.load(), 100*r.Report.serverShare(), 100*r.Report.Client.Utilization))
	}
	return out
}

// countText formats a decimal count in a string as count does.
func countText(s string) string {
	if n, err := strconv.Atoi(s); err == nil {
		return count(float64(n))
	}
	return s
}

// usText formats microseconds: "120 µs", "1.5 ms", "2.3 s".
func usText(v int64) string {
	f := float64(v)
	switch {
	case f >= 1e6:
		return sig(f/1e6) + " s"
	case f >= 1e3:
		return sig(f/1e3) + " ms"
	}
	return sig(f) + " µs"
}

// sig formats v with two significant digits, or none after the point
// from 100 up.
func sig(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return trimZero(fmt.Sprintf("%.1f", v))
	}
	return trimZero(fmt.Sprintf("%.2f", v))
}

func mibText(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func countList(ns []int) string {
	var s []string
	for _, n := range ns {
		s = append(s, count(float64(n)))
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
