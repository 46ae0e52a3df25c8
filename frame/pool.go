package frame

import (
	"math/bits"
	"sync"
)

// Large read buffers are shared through pools, one per power-of-two size
// class, so that a Reader holds a large buffer only while a large frame is
// in it: the buffer goes back once the frame is consumed, and the next large
// frame (of any Reader) takes one from the pool.
const (
	minClass = 13 // 8 KiB: anything smaller is the Reader's own small buffer
	maxClass = 26 // 64 MiB: larger buffers are not pooled
)

var pools [maxClass + 1]sync.Pool

// class returns the size class that holds n bytes: the smallest c with
// 1<<c >= n.
func class(n int) int {
	if n <= 1<<minClass {
		return minClass
	}
	return bits.Len(uint(n - 1))
}

// getBuf returns a buffer of length n, from the pool when its class has one.
func getBuf(n int) []byte {
	c := class(n)
	if c > maxClass {
		return make([]byte, n)
	}
	if p, ok := pools[c].Get().(*[]byte); ok {
		return (*p)[:n]
	}
	return make([]byte, n, 1<<c)
}

// putBuf gives b back to its pool, if it is a pooled size.
func putBuf(b []byte) {
	c := class(cap(b))
	if c < minClass || c > maxClass || cap(b) != 1<<c {
		return
	}
	b = b[:cap(b)]
	pools[c].Put(&b)
}
