package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// A bench is one run: its connections, their counters and histograms.
type bench struct {
	o      *options
	log    *slog.Logger
	stderr io.Writer
	start  time.Time
	dests  []string
	sends  []string // where publishers send: dests unless -send-dest
	conns  []*conn

	lat      *latencies
	connMu   sync.Mutex
	connHist *hdrhistogram.Histogram

	connected     atomic.Int64
	connectErrors atomic.Int64
	errorFrames   atomic.Uint64
	socketErrors  atomic.Uint64
	logged        atomic.Int64

	beatEvery atomic.Int64 // the heart-beat interval negotiated, by the first to (heartbeat.go)

	begin    chan struct{} // closed when publishing starts
	stopping atomic.Bool   // publishing is over
	closing  atomic.Bool   // connections are being closed on purpose
	readers  sync.WaitGroup
}

// maxLogged bounds the errors logged one by one; all are counted.
const maxLogged = 10

func newBench(o *options, log *slog.Logger, stderr io.Writer) *bench {
	b := &bench{o: o, log: log, stderr: stderr, start: time.Now(), lat: newLatencies(),
		connHist: newHist(), begin: make(chan struct{})}
	for r := 0; r < o.rooms; r++ {
		b.dests = append(b.dests, strings.Replace(o.dest, "%d", fmt.Sprint(r), 1))
		if o.sendDest != "" {
			b.sends = append(b.sends, strings.Replace(o.sendDest, "%d", fmt.Sprint(r), 1))
		}
	}
	if o.sendDest == "" {
		b.sends = b.dests
	}
	for i := 0; i < o.subs; i++ {
		b.conns = append(b.conns, &conn{b: b, id: i, room: i % o.rooms, pub: -1, recv: true})
	}
	for j := 0; j < o.pubs; j++ {
		b.conns = append(b.conns, &conn{b: b, id: o.subs + j, room: j % o.rooms, pub: j, recv: o.windowed()})
	}
	for _, c := range b.conns {
		if c.recv {
			c.tr = newTracker(b.pubsIn(c.room))
		}
	}
	return b
}

// pubsIn is how many publishers room r has.
func (b *bench) pubsIn(r int) int {
	n := b.o.pubs / b.o.rooms
	if r < b.o.pubs%b.o.rooms {
		n++
	}
	return n
}

func (b *bench) now() int64             { return int64(time.Since(b.start)) }
func (b *bench) dest(room int) string   { return b.dests[room] }
func (b *bench) send(room int) string   { return b.sends[room] }
func (b *bench) record(id int, d int64) { b.lat.record(id, d) }

func (b *bench) socketError(c *conn, err error) {
	b.socketErrors.Add(1)
	if b.logged.Add(1) <= maxLogged {
		b.log.Warn("connection failed", "conn", c.label(), "err", err)
	}
}

func (b *bench) errorFrame(c *conn, msg string, body []byte) {
	b.errorFrames.Add(1)
	if b.logged.Add(1) <= maxLogged {
		b.log.Warn("ERROR frame", "conn", c.label(), "message", msg, "body", truncate(body))
	}
}

// connectAll opens every connection, -dialers at a time, paced by
// -connect-rate, and starts each one's reader.
func (b *bench) connectAll(ctx context.Context) {
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < min(b.o.dialers, len(b.conns)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(b.conns) || ctx.Err() != nil {
					return
				}
				if b.o.connectRate > 0 {
					due := t0.Add(time.Duration(float64(i) / b.o.connectRate * float64(time.Second)))
					if d := time.Until(due); d > 0 {
						select {
						case <-time.After(d):
						case <-ctx.Done():
							return
						}
					}
				}
				b.connect(ctx, b.conns[i])
			}
		}()
	}
	wg.Wait()
}

func (b *bench) connect(ctx context.Context, c *conn) {
	took, err := c.dial(ctx)
	if err != nil {
		c.close()
		c.c = nil
		b.connectErrors.Add(1)
		if b.logged.Add(1) <= maxLogged && ctx.Err() == nil {
			b.log.Warn("connect failed", "conn", c.label(), "err", err)
		}
		return
	}
	b.connMu.Lock()
	b.connHist.RecordValue(max(took.Microseconds(), 1))
	b.connMu.Unlock()
	c.ok.Store(true)
	b.connected.Add(1)
	b.readers.Add(1)
	go func() {
		defer b.readers.Done()
		if c.pub >= 0 && b.o.windowed() {
			<-b.begin
			c.out = c.openWindow(c.out)
		}
		c.readLoop()
	}()
}

// openWindow appends the publisher's first -window SENDs.
func (c *conn) openWindow(dst []byte) []byte {
	if c.b.stopping.Load() {
		return dst
	}
	for range c.b.o.window {
		dst = c.appendSend(dst, c.b.now())
	}
	return dst
}

// publish sends at -rate until publishing stops: each message is stamped
// with the time it was due, and all that are due go in one write.
func (c *conn) publish(ctx context.Context) {
	b := c.b
	interval := time.Duration(float64(time.Second) / b.o.rate)
	// Publishers start spread over one interval, not all at once.
	due := b.now() + int64(interval)*int64(c.pub)/int64(max(b.o.pubs, 1))
	var out []byte
	var ends []int
	for !b.stopping.Load() {
		if d := time.Duration(due - b.now()); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
			if b.stopping.Load() {
				return
			}
		}
		out, ends = out[:0], ends[:0]
		for now := b.now(); due <= now && len(ends) < 1000; due += int64(interval) {
			out = c.appendSend(out, due)
			ends = append(ends, len(out))
		}
		if err := c.writeBatch(out, ends); err != nil {
			if !b.closing.Load() {
				b.socketError(c, err)
			}
			return
		}
	}
}

// sums are counters summed over the connections.
type sums struct {
	delivered, unique, sent, expected uint64
}

func (b *bench) sum() sums {
	var s sums
	sent := make([]uint64, b.o.pubs)
	for _, c := range b.conns {
		s.delivered += c.delivered.Load()
		s.unique += c.unique.Load()
		if c.pub >= 0 {
			sent[c.pub] = c.sent.Load()
			s.sent += sent[c.pub]
		}
	}
	perRoom := make([]uint64, b.o.rooms)
	for p, n := range sent {
		perRoom[p%b.o.rooms] += n
	}
	for _, c := range b.conns {
		if c.recv && c.ok.Load() {
			s.expected += perRoom[c.room]
		}
	}
	return s
}

// progress prints a line every second until ctx ends.
func (b *bench) progress(ctx context.Context, phase func() string) {
	if b.o.quiet {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fmt.Fprintln(b.stderr, phase())
		}
	}
}

func (b *bench) errorsText() string {
	return fmt.Sprintf("errors %d", b.connectErrors.Load()+int64(b.errorFrames.Load())+int64(b.socketErrors.Load()))
}
