package main

import (
	"bytes"
	"strconv"
)

// A body is JSON: {"p":publisher,"s":sequence,"t":nanoseconds,"x":"padding"}.
// t counts from the start of the run on the monotonic clock, so latency
// is exact within one stompbench process.

// appendBody appends a body of at least size bytes.
func appendBody(dst []byte, pub int, seq uint64, t int64, size int) []byte {
	n := len(dst)
	dst = append(dst, `{"p":`...)
	dst = strconv.AppendInt(dst, int64(pub), 10)
	dst = append(dst, `,"s":`...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, `,"t":`...)
	dst = strconv.AppendInt(dst, t, 10)
	dst = append(dst, `,"x":"`...)
	for len(dst)-n < size-2 {
		dst = append(dst, 'x')
	}
	return append(dst, `"}`...)
}

// parseBody reads a body appendBody wrote.
func parseBody(b []byte) (pub int, seq uint64, t int64, ok bool) {
	p, b, ok1 := field(b, `{"p":`)
	s, b, ok2 := field(b, `,"s":`)
	ts, _, ok3 := field(b, `,"t":`)
	return int(p), uint64(s), int64(ts), ok1 && ok2 && ok3
}

// field parses the decimal number after prefix at the start of b.
func field(b []byte, prefix string) (uint64, []byte, bool) {
	if !bytes.HasPrefix(b, []byte(prefix)) {
		return 0, b, false
	}
	b = b[len(prefix):]
	var n uint64
	i := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + uint64(b[i]-'0')
	}
	return n, b[i:], i > 0
}
