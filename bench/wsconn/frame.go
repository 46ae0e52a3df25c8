package wsconn

import "encoding/binary"

// Opcodes of RFC 6455 section 5.2.
const (
	OpContinuation byte = 0x0
	OpText         byte = 0x1
	OpBinary       byte = 0x2
	OpClose        byte = 0x8
	OpPing         byte = 0x9
	OpPong         byte = 0xA
)

// AppendFrame appends one final WebSocket frame with opcode op carrying
// payload. With a mask (a client's frame) the payload is masked as it is
// copied; with nil (a server's frame) it is copied as it is.
func AppendFrame(dst []byte, op byte, payload []byte, mask *[4]byte) []byte {
	dst = AppendHeader(dst, op, len(payload), mask)
	if mask == nil {
		return append(dst, payload...)
	}
	n := len(dst)
	dst = append(dst, payload...)
	maskBytes(dst[n:], *mask, 0)
	return dst
}

// AppendHeader appends the header of one final frame of n payload bytes,
// with the masking key when mask is not nil; the caller appends the
// payload (masked, when there is a key).
func AppendHeader(dst []byte, op byte, n int, mask *[4]byte) []byte {
	var m byte
	if mask != nil {
		m = 0x80
	}
	dst = append(dst, 0x80|op)
	switch {
	case n < 126:
		dst = append(dst, m|byte(n))
	case n < 1<<16:
		dst = append(dst, m|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, m|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	if mask != nil {
		dst = append(dst, mask[:]...)
	}
	return dst
}

// maskBytes XORs b with key, starting at key position pos, and returns the
// position after b.
func maskBytes(b []byte, key [4]byte, pos int) int {
	for i := range b {
		b[i] ^= key[(pos+i)&3]
	}
	return (pos + len(b)) & 3
}
