package frame

import (
	"io"
	"testing"
)

// benchMessage is a typical 100-byte MESSAGE: a chat line to a topic.
var benchMessage = func() *Frame {
	f := New(MESSAGE, "destination", "/topic/chat", "content-type", "application/json",
		"subscription", "sub-0", "message-id", "a1b2c3-42")
	f.Body = []byte(`{"name":"홍길동","content":"안녕하세요."}`)
	return f
}()

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
