package sse

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Each stream gets its messages in strictly increasing id order, even when
// several publishers publish to its destinations at once, and every
// message once, in each destination's order.
func TestOrderAcrossDestinations(t *testing.T) {
	e := newEnv(t, Config{BufferSize: 10000})
	const perDest = 500
	dests := []string{"/topic/a", "/topic/b"}
	streams := []*client{e.open(e.url(dests...)), e.open(e.url(dests[1], dests[0]))}
	for _, c := range streams {
		c.opening()
	}
	var wg sync.WaitGroup
	for _, d := range dests {
		for p := range 2 { // two publishers per destination
			wg.Go(func() {
				for i := range perDest / 2 {
					e.publish(d, "", strconv.Itoa(p)+"-"+strconv.Itoa(i))
				}
			})
		}
	}
	for n, c := range streams {
		var prev uint64
		next := map[string]int{} // per destination and publisher
		for range len(dests) * perDest {
			ev := c.event()
			id := seqOf(t, e.s, ev.ID)
			if id <= prev {
				t.Fatalf("stream %d: id %d after %d", n, id, prev)
			}
			prev = id
			env := ev.envelope(t)
			p, i, _ := strings.Cut(env.Body, "-")
			key := env.Destination + " " + p
			if i != strconv.Itoa(next[key]) {
				t.Fatalf("stream %d: %s got %s, want %d", n, key, i, next[key])
			}
			next[key]++
		}
	}
	wg.Wait()
	for _, c := range streams {
		c.quiet(0)
	}
}

// Streams share a message's bytes: 200 streams receiving one 700 KB
// message do not each keep a copy of it.
func TestStreamsDoNotCopyMessages(t *testing.T) {
	e := newEnv(t, Config{})
	const streams, size = 200, 700 << 10
	e.tr.MaxIdleConnsPerHost = streams
	var received sync.WaitGroup
	for range streams {
		res := e.get(context.Background(), e.url("/topic/big"))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %s", res.Status)
		}
		received.Add(1)
		go func() {
			defer res.Body.Close()
			// Read line by line without keeping lines: the client must not
			// be what holds the memory.
			r := bufio.NewReader(res.Body)
			data := 0
			for {
				line, err := r.ReadSlice('\n')
				if err != nil && err != bufio.ErrBufferFull {
					return
				}
				if bytes.HasPrefix(line, []byte("data: ")) || data > 0 {
					data += len(line)
				}
				if err == nil && data > 0 {
					received.Done()
					data = 0
				}
			}
		}()
	}
	eventually(t, "the streams to listen", func() bool { return e.s.listeners("/topic/big") == streams })

	before := heap()
	e.publish("/topic/big", "", strings.Repeat("x", size))
	received.Wait()
	grown := int64(heap()) - int64(before)
	t.Logf("heap grew %d KiB for %d streams receiving %d KiB", grown>>10, streams, size>>10)
	if limit := int64(20 * size); grown > limit { // a copy each would be 200 times
		t.Errorf("heap grew %d bytes, want under %d", grown, limit)
	}
}

// heap returns the bytes of live heap objects, after a collection.
func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
