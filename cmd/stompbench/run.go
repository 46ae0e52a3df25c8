package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"time"
)

// run does one benchmark run as o says and returns its report. Progress
// goes to stderr; the caller prints the report.
func run(ctx context.Context, o *options, stderr io.Writer) (*report, error) {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	b := newBench(o, log, stderr)
	r := &report{Options: o.summary(), GOMAXPROCS: runtime.GOMAXPROCS(0)}

	if lim, err := raiseFileLimit(); err != nil {
		log.Warn("cannot raise the open-files limit", "err", err)
	} else if need := uint64(len(b.conns) + 16); need > lim {
		log.Warn("more connections than the open-files limit allows", "connections", len(b.conns), "limit", lim)
	}
	var srv serverUsage
	srv.pid = o.pid
	srv.sample(&srv.before)
	self0, _ := readUsage(0)

	// Connect and subscribe everyone, beating meanwhile.
	bctx, stopBeats := context.WithCancel(ctx)
	defer stopBeats()
	if o.heartbeat > 0 {
		go b.beat(bctx)
	}
	pctx, stopProgress := context.WithCancel(ctx)
	t0 := time.Now()
	go b.progress(pctx, func() string {
		el := time.Since(t0).Seconds()
		return fmt.Sprintf("connecting: %d/%d connected, %.0f/s, %s", b.connected.Load(), len(b.conns), float64(b.connected.Load())/el, b.errorsText())
	})
	b.connectAll(ctx)
	stopProgress()
	r.Connect = connectReport{
		Connections: int(b.connected.Load()), Failed: int(b.connectErrors.Load()),
		TotalSeconds: time.Since(t0).Seconds(), Time: summarize(b.connHist),
	}
	if !o.quiet {
		fmt.Fprintf(stderr, "connected %d/%d in %.2fs (p99 %s), %s\n", r.Connect.Connections, len(b.conns),
			r.Connect.TotalSeconds, us(r.Connect.Time.P99), b.errorsText())
	}
	srv.sample(&srv.connected)
	selfConnected, _ := readUsage(0)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	// Publish for -duration.
	srv.sample(&srv.runStart)
	self1, _ := readUsage(0)
	start := time.Now()
	var pubs sync.WaitGroup
	pctx, stopProgress = context.WithCancel(ctx)
	go b.progress(pctx, b.runLine(start))
	close(b.begin)
	if !o.windowed() {
		for _, c := range b.conns {
			if c.pub >= 0 && c.ok.Load() {
				pubs.Add(1)
				go func() { defer pubs.Done(); c.publish(ctx) }()
			}
		}
	}
	select {
	case <-time.After(o.duration):
	case <-ctx.Done():
	}
	b.stopping.Store(true)
	elapsed := time.Since(start)
	atStop := b.sum()
	srv.sample(&srv.runEnd)
	self2, _ := readUsage(0)
	pubs.Wait()

	// Wait for what is still on its way, as long as some of it keeps
	// arriving: a deep window's backlog is slow, not lost.
	lastChange := time.Now()
	var s, last sums
	for {
		s = b.sum()
		if s.unique >= s.expected || time.Since(lastChange) > o.drain || ctx.Err() != nil {
			break
		}
		if s.unique != last.unique {
			last, lastChange = s, time.Now()
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopProgress()
	srv.sample(&srv.end)
	b.closing.Store(true)
	for _, c := range b.conns {
		c.close()
	}
	b.readers.Wait()

	// The readers have stopped: their trackers can be read.
	for _, c := range b.conns {
		if !c.recv || !c.ok.Load() {
			continue
		}
		r.Duplicated += c.tr.dups
		r.Foreign += c.tr.alien
	}
	s = b.sum()
	if s.expected > s.unique {
		r.Lost = s.expected - s.unique
	}
	r.Seconds = elapsed.Seconds()
	r.Sent = s.sent
	r.Expected = s.expected
	r.Delivered = s.delivered
	r.DeliveriesPerSec = float64(atStop.delivered) / elapsed.Seconds()
	r.SentPerSec = float64(atStop.sent) / elapsed.Seconds()
	r.Latency = summarize(b.lat.total())
	r.ErrorFrames = b.errorFrames.Load()
	r.SocketErrors = b.socketErrors.Load()
	r.Client = clientReport{
		CPUSeconds:    (self2.cpu - self1.cpu).Seconds(),
		Utilization:   (self2.cpu - self1.cpu).Seconds() / elapsed.Seconds(),
		RSSBytes:      selfConnected.rss,
		RSSPerConnKiB: perConnKiB(selfConnected.rss-self0.rss, r.Connect.Connections),
	}
	if atStop.delivered > 0 {
		r.Client.CPUPerDeliveryUs = float64((self2.cpu - self1.cpu).Microseconds()) / float64(atStop.delivered)
	}
	r.Server = srv.report(atStop.delivered, r.Connect.Connections)
	return r, nil
}

// runLine returns the progress line of the publishing phase, which shows
// the last second.
func (b *bench) runLine(start time.Time) func() string {
	var last sums
	lastT := start
	return func() string {
		s, now := b.sum(), time.Now()
		dt := now.Sub(lastT).Seconds()
		h := summarize(b.lat.takeInterval())
		phase := fmt.Sprintf("t=%.0fs", now.Sub(start).Seconds())
		if b.stopping.Load() {
			phase = fmt.Sprintf("draining: %d outstanding", int64(s.expected)-int64(s.unique))
		}
		line := fmt.Sprintf("%s sent/s %.0f deliveries/s %.0f p50 %s p99 %s max %s, %s",
			phase, float64(s.sent-last.sent)/dt, float64(s.delivered-last.delivered)/dt,
			us(h.P50), us(h.P99), us(h.Max), b.errorsText())
		last, lastT = s, now
		return line
	}
}

// serverUsage samples the server's /proc entries over the run.
type serverUsage struct {
	pid                                      int
	before, connected, runStart, runEnd, end procUsage
	err                                      error
}

func (s *serverUsage) sample(u *procUsage) {
	if s.pid == 0 || s.err != nil {
		return
	}
	*u, s.err = readUsage(s.pid)
}

func (s *serverUsage) report(delivered uint64, conns int) *serverReport {
	if s.pid == 0 {
		return nil
	}
	r := &serverReport{Pid: s.pid}
	if s.err != nil {
		r.Error = s.err.Error()
		return r
	}
	cpu := s.runEnd.cpu - s.runStart.cpu
	r.CPUSeconds = cpu.Seconds()
	if delivered > 0 {
		r.CPUPerDeliveryUs = float64(cpu.Microseconds()) / float64(delivered)
	}
	r.RSSBeforeBytes, r.RSSConnectedBytes, r.RSSEndBytes = s.before.rss, s.connected.rss, s.end.rss
	r.RSSPerConnKiB = perConnKiB(s.connected.rss-s.before.rss, conns)
	return r
}

func perConnKiB(bytes int64, conns int) float64 {
	if conns == 0 {
		return 0
	}
	return float64(bytes) / 1024 / float64(conns)
}
