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
		// A source that stops anywhere, as a parked socket does: reads of
		// arbitrary sizes, each followed by a "no more for now", and a
		// Waiter that says the same between frames. The caller goes on
		// after each stop; the frames must be the same.
		stopped := decodeAll(t, &stopReader{data: wire, seed: seedOf(wire)}, v, lim)
		if len(stopped) != len(whole) {
			t.Fatalf("whole read gave %d frames, a stopping source %d", len(whole), len(stopped))
		}
		for i := range whole {
			if !bytes.Equal(whole[i], stopped[i]) {
				t.Fatalf("frame %d differs with a stopping source: %q vs %q", i, whole[i], stopped[i])
			}
		}
	})
}

// errStopped is a stopReader's "nothing more for now".
var errStopped = errors.New("no input for now")

// A stopReader gives data in pieces of pseudo-random sizes (from seed),
// returning errStopped after each, and errStopped from WaitRead every
// other time it is asked: a source that may run dry at any byte.
type stopReader struct {
	data    []byte
	seed    uint64
	stopped bool // the last call returned errStopped
}

func (r *stopReader) next() uint64 {
	r.seed ^= r.seed << 13
	r.seed ^= r.seed >> 7
	r.seed ^= r.seed << 17
	return r.seed
}

func (r *stopReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	if !r.stopped && r.next()%3 == 0 {
		r.stopped = true
		return 0, errStopped
	}
	r.stopped = false
	n := min(len(p), len(r.data), int(r.next()%7)+1)
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

func (r *stopReader) WaitRead() error {
	if !r.stopped && r.next()%2 == 0 {
		r.stopped = true
		return errStopped
	}
	r.stopped = false
	return nil
}

func seedOf(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h | 1
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
		if errors.Is(err, errStopped) {
			continue // the source ran dry for now: read on, as a session resumed by its poller does
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
