package frame

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// FuzzReader feeds arbitrary bytes to the reader, whole and one byte at a
// time. It must never panic, must decode the same frames either way, must
// stay within its limits, and every frame it accepts must survive an
// encode/decode round trip.
func FuzzReader(f *testing.F) {
	for _, fx := range fixtures {
		f.Add([]byte(fx.wire), uint8(fx.ver))
	}
	f.Add([]byte("CONNECT\naccept-version:1.2\nhost:/\n\n\x00SEND\ndestination:/app/chat\n\n{}\x00\n"), uint8(V1_2))
	f.Add([]byte("SEND\ndestination:/topic/a\nx:be\x00fore\n\nbody\x00"), uint8(V1_2))
	f.Fuzz(func(t *testing.T, wire []byte, ver uint8) {
		v := Version(ver%3 + 1)
		lim := Limits{MaxLineLen: 256, MaxHeaders: 8, MaxBody: 1024}
		whole := decodeAll(t, bytes.NewReader(wire), v, lim)
		split := decodeAll(t, iotest.OneByteReader(bytes.NewReader(wire)), v, lim)
		if len(whole) != len(split) {
			t.Fatalf("whole read gave %d frames, one-byte reads %d", len(whole), len(split))
		}
		for i := range whole {
			if !bytes.Equal(whole[i], split[i]) {
				t.Fatalf("frame %d differs: %q vs %q", i, whole[i], split[i])
			}
		}
	})
}

// decodeAll decodes frames until an error and returns each re-encoded.
func decodeAll(t *testing.T, rd io.Reader, v Version, lim Limits) [][]byte {
	r := NewReader(rd, lim)
	r.SetVersion(v)
	var out [][]byte
	for {
		var f Frame
		err := r.ReadFrame(&f)
		if len(r.buf) > lim.withDefaults().maxFrame()+initialBufSize {
			t.Fatalf("buffer grew to %d bytes", len(r.buf))
		}
		if err != nil {
			if err != io.EOF && err != io.ErrUnexpectedEOF && !isFrameErr(err) {
				t.Fatalf("unexpected error type: %v", err)
			}
			return out
		}
		if len(f.Body) > lim.MaxBody || len(f.Header) > lim.MaxHeaders {
			t.Fatalf("limits exceeded: %d headers, %d body", len(f.Header), len(f.Body))
		}
		enc := AppendFrame(nil, &f, v)
		r2 := NewReader(bytes.NewReader(enc), Limits{MaxLineLen: 4 * lim.MaxLineLen, MaxHeaders: lim.MaxHeaders + 1, MaxBody: lim.MaxBody})
		r2.SetVersion(v)
		var g Frame
		if err := r2.ReadFrame(&g); err != nil {
			t.Fatalf("re-decoding %q: %v", enc, err)
		}
		if g.Command != f.Command || !bytes.Equal(g.Body, f.Body) {
			t.Fatalf("round trip changed %q into %q", enc, AppendFrame(nil, &g, v))
		}
		out = append(out, enc)
	}
}

func isFrameErr(err error) bool {
	for _, e := range []error{ErrUnknownCommand, ErrLineTooLong, ErrTooManyHeaders, ErrBodyTooLarge,
		ErrBadContentLength, ErrMissingNUL, ErrMalformedHeader, ErrBadEscape, ErrNULInHeader} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
