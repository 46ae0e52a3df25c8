package frame

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

func largeFrame(n int) string {
	return "SEND\ndestination:/queue/a\n\n" + strings.Repeat("b", n) + "\x00"
}

// After a large frame is consumed, the Reader keeps only a small buffer:
// an idle session costs initialBufSize, whatever it once received.
func TestReaderShrinksAfterLargeFrame(t *testing.T) {
	wire := largeFrame(1<<20) + "SEND\ndestination:/queue/a\n\nsmall\x00"
	r := NewReader(strings.NewReader(wire), Limits{})
	var f Frame
	if err := r.ReadFrame(&f); err != nil || len(f.Body) != 1<<20 {
		t.Fatalf("large frame: %v, %d", err, len(f.Body))
	}
	if len(r.buf) < 1<<20 {
		t.Fatalf("the large frame's buffer is %d bytes", len(r.buf))
	}
	if err := r.ReadFrame(&f); err != nil || string(f.Body) != "small" {
		t.Fatalf("small frame: %v, %q", err, f.Body)
	}
	if len(r.buf) != initialBufSize {
		t.Fatalf("buffer after the large frame: %d bytes, want %d", len(r.buf), initialBufSize)
	}
	r.Release()
	if r.buf != nil {
		t.Fatal("Release kept the buffer")
	}
}

// Large frames one after another reuse pooled buffers instead of
// allocating a new one each.
func TestLargeBuffersArePooled(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	one := []byte(largeFrame(256 << 10))
	var f Frame
	src := bytes.NewReader(nil)
	r := NewReader(src, Limits{})
	read := func() {
		src.Reset(one)
		if err := r.ReadFrame(&f); err != nil {
			t.Fatal(err)
		}
	}
	read()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 50
	for range n {
		read()
	}
	runtime.ReadMemStats(&after)
	// Growing a frame takes buffers from the pool; the bytes allocated are
	// the 4 KiB small buffer and slice headers, not the 256 KiB frame.
	// (A GC may empty the pool now and then.)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 64<<10 {
		t.Fatalf("%d bytes allocated per 256 KiB frame", per)
	}
}

func TestSizeClasses(t *testing.T) {
	for _, c := range []struct{ n, class int }{{1, minClass}, {8 << 10, 13}, {8<<10 + 1, 14}, {1 << 20, 20}, {1<<20 + 1, 21}} {
		if got := class(c.n); got != c.class {
			t.Errorf("class(%d) = %d, want %d", c.n, got, c.class)
		}
	}
	b := getBuf(100 << 10)
	if len(b) != 100<<10 || cap(b) != 128<<10 {
		t.Fatalf("getBuf: len %d cap %d", len(b), cap(b))
	}
	putBuf(b)
	putBuf(make([]byte, 5000)) // not a pooled size: ignored
}
