package frame

import (
	"io"
	"testing"
)

// benchMessage is a 100-byte MESSAGE on the wire: a chat line to a topic,
// its body padded to make up the size.
var benchMessage = func() *Frame {
	f := New(MESSAGE, "destination", "/topic/chat", "subscription", "0", "message-id", "1")
	f.Body = []byte(`{"content":"안"}`)
	for len(AppendFrame(nil, f, V1_2)) < 100 {
		f.Body = append(f.Body, ' ')
	}
	return f
}()

func TestBenchMessageIs100Bytes(t *testing.T) {
	if n := len(AppendFrame(nil, benchMessage, V1_2)); n != 100 {
		t.Fatalf("benchmark MESSAGE is %d bytes, want 100", n)
	}
}

// loopReader replays one encoded frame forever.
type loopReader struct {
	wire []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.wire[l.off:])
		n += c
		l.off = (l.off + c) % len(l.wire)
	}
	return n, nil
}

func BenchmarkReadMessage(b *testing.B) {
	wire := AppendFrame(nil, benchMessage, V1_2)
	r := NewReader(&loopReader{wire: wire}, Limits{})
	var f Frame
	b.SetBytes(int64(len(wire)))
	b.ReportAllocs()
	for b.Loop() {
		if err := r.ReadFrame(&f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendMessage(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.SetBytes(int64(len(AppendFrame(nil, benchMessage, V1_2))))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendFrame(buf[:0], benchMessage, V1_2)
	}
}

func BenchmarkWriter(b *testing.B) {
	w := NewWriter(io.Discard)
	b.ReportAllocs()
	for b.Loop() {
		w.Append(benchMessage)
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	}
}
