package server

import "unicode/utf8"

// utf8Stream checks that text arriving in pieces is valid UTF-8, without
// copying it: a piece is checked where it lies, and only an incomplete
// sequence at its end (at most 3 bytes) is carried to the next piece. It
// fails as soon as a byte cannot continue valid UTF-8, not only at the end.
// The zero value is ready; end resets it for the next message.
type utf8Stream struct {
	pend [utf8.UTFMax]byte
	n    int // bytes of an incomplete sequence held in pend
}

// write checks the next piece and reports whether the text is still valid.
func (v *utf8Stream) write(p []byte) bool {
	// Finish the sequence the last piece left open, a byte at a time.
	for v.n > 0 && len(p) > 0 {
		v.pend[v.n] = p[0]
		v.n++
		p = p[1:]
		// Not FullRune means a valid prefix of a longer sequence.
		if utf8.FullRune(v.pend[:v.n]) {
			ok := utf8.Valid(v.pend[:v.n])
			v.n = 0
			if !ok {
				return false
			}
		}
	}
	// The last sequence starts at one of the last 3 bytes if it can be
	// incomplete: a leading byte is anything but 10xxxxxx.
	for i := len(p) - 1; i >= 0 && i >= len(p)-(utf8.UTFMax-1); i-- {
		if p[i]&0xc0 == 0x80 {
			continue
		}
		if !utf8.FullRune(p[i:]) {
			v.n = copy(v.pend[:], p[i:])
			p = p[:i]
		}
		break
	}
	return utf8.Valid(p)
}

// end reports whether the text ended on a whole sequence, and resets v.
func (v *utf8Stream) end() bool {
	ok := v.n == 0
	v.n = 0
	return ok
}
