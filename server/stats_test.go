package server

import (
	"testing"

	"github.com/stompbox/stompbox/frame"
)

// A written batch is counted by command; heart-beats and the transport's
// own frames are not frames.
func TestCountOut(t *testing.T) {
	var c frameCounts
	batch := []outFrame{
		{head: []byte("MESSAGE\nsubscription:1\n"), shared: []byte("\nhi\x00")},
		{head: []byte("MESSAGE\nsubscription:2\n"), shared: []byte("\nhi\x00")},
		{head: frame.AppendFrame(nil, frame.New(frame.RECEIPT, "receipt-id", "r"), frame.V1_2)},
		{head: frame.AppendFrame(nil, frame.New(frame.ERROR, "message", "m"), frame.V1_2)},
		{head: frame.AppendFrame(nil, frame.New(frame.CONNECTED, "version", "1.2"), frame.V1_2)},
		{head: eol},
		{head: []byte{0x88, 0}, raw: true},
	}
	c.countOut(batch)
	c.countIn(frame.SEND)
	c.countIn(frame.SEND)
	c.countIn("BOGUS")
	var sum frameSums
	sum.add(&c)
	if sum.out != [4]uint64{1, 2, 1, 1} || sum.in[2] != 2 {
		t.Fatalf("out %v, in %v", sum.out, sum.in)
	}
	var want uint64
	for _, o := range batch[:5] {
		want += uint64(o.size())
	}
	if sum.bytesOut != want {
		t.Fatalf("bytes out %d, want %d", sum.bytesOut, want)
	}
}

// What counting adds to the writer per batch of 64 MESSAGE frames, against
// the microseconds of the vectored write the batch costs anyway.
func BenchmarkCountOut(b *testing.B) {
	batch := make([]outFrame, 64)
	for i := range batch {
		batch[i] = outFrame{head: []byte("MESSAGE\nsubscription:1\nmessage-id:x-1\n"), shared: []byte("\n{}\x00")}
	}
	var c frameCounts
	for b.Loop() {
		c.countOut(batch)
	}
}

// What counting adds to the reader per frame read.
func BenchmarkCountIn(b *testing.B) {
	var c frameCounts
	for b.Loop() {
		c.countIn(frame.SEND)
	}
}
