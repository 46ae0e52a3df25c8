package main

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies are recorded in microseconds, from 1 µs to a minute, to three
// significant digits.
const (
	histMin    = 1
	histMax    = int64(time.Minute / time.Microsecond)
	histDigits = 3
	nShards    = 32
)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

// A shard is a pair of histograms some of the connections record into:
// one for the whole run, one for the progress line's last second.
type shard struct {
	mu            sync.Mutex
	all, interval *hdrhistogram.Histogram
}

// latencies are the run's publish-to-deliver times, sharded so that
// readers rarely wait for each other's lock.
type latencies struct{ shards [nShards]shard }

func newLatencies() *latencies {
	l := &latencies{}
	for i := range l.shards {
		l.shards[i].all, l.shards[i].interval = newHist(), newHist()
	}
	return l
}

// record adds one latency of d nanoseconds, recorded by connection id.
func (l *latencies) record(id int, d int64) {
	us := d / 1000
	if us < histMin {
		us = histMin
	}
	if us > histMax {
		us = histMax // the max is still reported as at least a minute
	}
	s := &l.shards[id%nShards]
	s.mu.Lock()
	s.all.RecordValue(us)
	s.interval.RecordValue(us)
	s.mu.Unlock()
}

// takeInterval returns the latencies since the last call.
func (l *latencies) takeInterval() *hdrhistogram.Histogram {
	return l.merge(func(s *shard) *hdrhistogram.Histogram { return s.interval }, true)
}

// total returns every latency recorded.
func (l *latencies) total() *hdrhistogram.Histogram {
	return l.merge(func(s *shard) *hdrhistogram.Histogram { return s.all }, false)
}

// merge adds up the histogram pick chooses of each shard, with the shard's
// lock held, resetting it afterwards if reset is set.
func (l *latencies) merge(pick func(*shard) *hdrhistogram.Histogram, reset bool) *hdrhistogram.Histogram {
	h := newHist()
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		h.Merge(pick(s))
		if reset {
			pick(s).Reset()
		}
		s.mu.Unlock()
	}
	return h
}

// quantiles is a histogram's summary, in microseconds.
type quantiles struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean_us"`
	P50   int64   `json:"p50_us"`
	P99   int64   `json:"p99_us"`
	P999  int64   `json:"p999_us"`
	Max   int64   `json:"max_us"`
}

func summarize(h *hdrhistogram.Histogram) quantiles {
	if h.TotalCount() == 0 {
		return quantiles{}
	}
	return quantiles{
		Count: h.TotalCount(),
		Mean:  h.Mean(),
		P50:   h.ValueAtQuantile(50),
		P99:   h.ValueAtQuantile(99),
		P999:  h.ValueAtQuantile(99.9),
		Max:   h.Max(),
	}
}
