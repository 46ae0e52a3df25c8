package frame

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// readers wraps a wire string in the ways a socket might deliver it.
var readers = map[string]func(string) io.Reader{
	"whole":    func(s string) io.Reader { return strings.NewReader(s) },
	"one-byte": func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) },
	"half":     func(s string) io.Reader { return iotest.HalfReader(strings.NewReader(s)) },
	"data-err": func(s string) io.Reader { return iotest.DataErrReader(strings.NewReader(s)) },
}

func checkFrame(t *testing.T, f *Frame, fx fixture) {
	t.Helper()
	if f.Command != fx.command {
		t.Errorf("command = %q, want %q", f.Command, fx.command)
	}
	if len(f.Header) != len(fx.header) {
		t.Fatalf("header = %q, want %q", f.Header, fx.header)
	}
	for i, h := range fx.header {
		if string(f.Header[i].Key) != h[0] || string(f.Header[i].Value) != h[1] {
			t.Errorf("header[%d] = %q:%q, want %q:%q", i, f.Header[i].Key, f.Header[i].Value, h[0], h[1])
		}
	}
	if string(f.Body) != fx.body {
		t.Errorf("body = %q, want %q", f.Body, fx.body)
	}
}

func TestReadFixtures(t *testing.T) {
	for _, fx := range fixtures {
		for rname, mk := range readers {
			t.Run(fx.name+"/"+rname, func(t *testing.T) {
				r := NewReader(mk(fx.wire), Limits{})
				r.SetVersion(fx.ver)
				var f Frame
				err := r.ReadFrame(&f)
				if fx.err != nil {
					if !errors.Is(err, fx.err) {
						t.Fatalf("err = %v, want %v", err, fx.err)
					}
					return
				}
				if err != nil {
					t.Fatalf("ReadFrame: %v", err)
				}
				checkFrame(t, &f, fx)
				if err := r.ReadFrame(&f); err != io.EOF {
					t.Fatalf("after the frame: err = %v, want io.EOF", err)
				}
			})
		}
	}
}

// All fixtures back to back, with heart-beats between them, in one stream:
// frames that share a read, and frames split across reads.
func TestReadStream(t *testing.T) {
	var wire strings.Builder
	var valid []fixture
	for _, fx := range fixtures {
		if fx.err != nil || fx.ver != V1_2 {
			continue
		}
		valid = append(valid, fx)
		wire.WriteString(fx.wire)
		wire.WriteString("\n\r\n\n")
	}
	for rname, mk := range readers {
		t.Run(rname, func(t *testing.T) {
			r := NewReader(mk(wire.String()), Limits{})
			var f Frame
			for _, fx := range valid {
				if err := r.ReadFrame(&f); err != nil {
					t.Fatalf("%s: %v", fx.name, err)
				}
				checkFrame(t, &f, fx)
			}
			if err := r.ReadFrame(&f); err != io.EOF {
				t.Fatalf("err = %v, want io.EOF", err)
			}
			if got, want := r.Heartbeats(), 3*len(valid); got != want {
				t.Errorf("heart-beats = %d, want %d", got, want)
			}
		})
	}
}

func TestReadTruncated(t *testing.T) {
	for _, wire := range []string{"SEN", "SEND\n", "SEND\ndest", "SEND\n\nbody", "SEND\ncontent-length:4\n\nab"} {
		r := NewReader(strings.NewReader(wire), Limits{})
		var f Frame
		if err := r.ReadFrame(&f); err != io.ErrUnexpectedEOF {
			t.Errorf("%q: err = %v, want io.ErrUnexpectedEOF", wire, err)
		}
	}
	r := NewReader(strings.NewReader("\n\n\r\n"), Limits{})
	var f Frame
	if err := r.ReadFrame(&f); err != io.EOF {
		t.Errorf("heart-beats only: err = %v, want io.EOF", err)
	}
}

// countingReader yields an endless run of one byte and counts what it gave.
type countingReader struct {
	prefix string
	fill   byte
	n      int
}

func (c *countingReader) Read(p []byte) (int, error) {
	i := 0
	for ; i < len(p) && c.n < len(c.prefix); i++ {
		p[i] = c.prefix[c.n]
		c.n++
	}
	for ; i < len(p); i++ {
		p[i] = c.fill
		c.n++
	}
	return i, nil
}

// Limits must stop an endless line, endless headers or an endless body after
// reading little more than the limit, not after exhausting memory.
func TestLimitsBoundReading(t *testing.T) {
	lim := Limits{MaxLineLen: 1024, MaxHeaders: 8, MaxBody: 64 << 10}
	cases := []struct {
		name string
		src  *countingReader
		err  error
		max  int
	}{
		{"endless command", &countingReader{fill: 'A'}, ErrUnknownCommand, initialBufSize},
		{"endless header line", &countingReader{prefix: "SEND\n", fill: 'a'}, ErrLineTooLong, initialBufSize},
		{"endless body", &countingReader{prefix: "SEND\n\n", fill: 'b'}, ErrBodyTooLarge, 2*lim.MaxBody + initialBufSize},
		{"endless headers", &countingReader{prefix: "SEND\n" + strings.Repeat("k:v\n", 9)}, ErrTooManyHeaders, initialBufSize},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := NewReader(c.src, lim)
			var f Frame
			err := r.ReadFrame(&f)
			if !errors.Is(err, c.err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if !IsLimit(err) && c.err != ErrUnknownCommand {
				t.Errorf("IsLimit(%v) = false", err)
			}
			if c.src.n > c.max {
				t.Errorf("read %d bytes before refusing, want at most %d", c.src.n, c.max)
			}
			if len(r.buf) > c.max {
				t.Errorf("buffer grew to %d bytes, want at most %d", len(r.buf), c.max)
			}
		})
	}
}

// A content-length at the limit is accepted and the buffer grows to fit it
// exactly, once.
func TestLargeBody(t *testing.T) {
	lim := Limits{MaxBody: 300 << 10}
	body := bytes.Repeat([]byte("0123456789"), 30<<10)
	var wire []byte
	wire = AppendFrame(wire, &Frame{Command: SEND, Header: Header{{Key: []byte("destination"), Value: []byte("/topic/big")}}, Body: body}, V1_2)
	wire = AppendFrame(wire, &Frame{Command: SEND, Body: []byte("small")}, V1_2)
	for rname, mk := range readers {
		t.Run(rname, func(t *testing.T) {
			r := NewReader(mk(string(wire)), lim)
			var f Frame
			if err := r.ReadFrame(&f); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(f.Body, body) {
				t.Fatalf("body of %d bytes differs", len(f.Body))
			}
			if err := r.ReadFrame(&f); err != nil || string(f.Body) != "small" {
				t.Fatalf("second frame: %v %q", err, f.Body)
			}
		})
	}
	r := NewReader(bytes.NewReader(wire), Limits{MaxBody: len(body) - 1})
	var f Frame
	if err := r.ReadFrame(&f); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("one byte over the limit: err = %v", err)
	}
}

// The first content-length wins; a later one is only a header.
func TestFirstContentLengthWins(t *testing.T) {
	r := NewReader(strings.NewReader("SEND\ncontent-length:3\ncontent-length:junk\n\na\x00b\x00"), Limits{})
	var f Frame
	if err := r.ReadFrame(&f); err != nil {
		t.Fatal(err)
	}
	if string(f.Body) != "a\x00b" || f.Header.Get("content-length") != "3" {
		t.Fatalf("body %q, content-length %q", f.Body, f.Header.Get("content-length"))
	}
}

// Limits can be widened between frames, as a session does after CONNECT.
func TestSetLimits(t *testing.T) {
	wire := "SEND\nk:" + strings.Repeat("v", 200) + "\n\n\x00"
	r := NewReader(strings.NewReader(wire+wire), Limits{MaxLineLen: 100})
	var f Frame
	if err := r.ReadFrame(&f); !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("err = %v, want ErrLineTooLong", err)
	}
	r = NewReader(strings.NewReader(wire), Limits{MaxLineLen: 100})
	r.SetLimits(Limits{MaxLineLen: 1000})
	if err := r.ReadFrame(&f); err != nil {
		t.Fatal(err)
	}
}

// A NUL in a header line, raw or in any position, is refused in every
// version: STOMP cannot escape it, and a client that splits frames on NUL
// would receive it forwarded as a truncated frame.
func TestNULInHeaderRefused(t *testing.T) {
	for _, wire := range []string{
		"SEND\ndestination:/topic/a\nx:be\x00fore\n\nbody\x00",
		"SEND\nx\x00:v\ndestination:/topic/a\n\n\x00",
		"CONNECT\naccept-version:1.2\nlogin:\x00\n\n\x00",
	} {
		for name, mk := range readers {
			for _, v := range []Version{V1_0, V1_1, V1_2} {
				r := NewReader(mk(wire), Limits{})
				r.SetVersion(v)
				var f Frame
				if err := r.ReadFrame(&f); !errors.Is(err, ErrNULInHeader) {
					t.Errorf("%s %s %q: %v", name, v, wire, err)
				}
			}
		}
	}
}

// waitSource is a source that must be waited on: it counts the waits and
// checks that the Reader gave its buffer back before each.
type waitSource struct {
	r     *Reader
	data  []string
	waits int
	held  bool // the Reader held a buffer during a wait
}

func (w *waitSource) WaitRead() error {
	w.waits++
	w.held = w.held || w.r.buf != nil
	return nil
}

func (w *waitSource) Read(p []byte) (int, error) {
	if len(w.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, w.data[0])
	w.data = w.data[1:]
	return n, nil
}

// A Reader on a Waiter waits between frames without a buffer, so an idle
// connection holds none; within a frame it keeps reading.
func TestReaderWaitsWithoutBuffer(t *testing.T) {
	src := &waitSource{data: []string{"SEND\ndestination:/q\n\nhi\x00", "SEND\nde", "stination:/q\n\nyo\x00"}}
	r := NewReader(src, Limits{})
	src.r = r
	var f Frame
	for _, want := range []string{"hi", "yo"} {
		if err := r.ReadFrame(&f); err != nil || string(f.Body) != want {
			t.Fatalf("ReadFrame: %q, %v; want %q", f.Body, err, want)
		}
	}
	if err := r.ReadFrame(&f); err != io.EOF {
		t.Fatalf("at the end: %v", err)
	}
	if src.held {
		t.Fatal("the Reader held its buffer while it waited")
	}
	if src.waits != 3 { // before each frame and before the end, not within the second frame
		t.Fatalf("%d waits, want 3", src.waits)
	}
}

// A source that runs dry after every byte (errStopped), as a socket the
// session waits for elsewhere does: each ReadFrame goes on where the last
// stopped, and escapes are decoded once.
func TestReaderResumesWhereItStopped(t *testing.T) {
	wire := "SEND\ndestination:/topic/a\nk:a\\cb\\\\c\n\nbody\x00\nMESSAGE\ncontent-length:3\n\nx\x00y\x00"
	r := NewReader(&stopEveryByte{data: []byte(wire)}, Limits{})
	var got []string
	for {
		var f Frame
		err := r.ReadFrame(&f)
		if errors.Is(err, errStopped) {
			continue
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, f.Command+" "+f.Header.Get("k")+" "+string(f.Body))
	}
	want := []string{"SEND a:b\\c body", "MESSAGE  x\x00y"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// stopEveryByte gives one byte a read and stops (errStopped) before each.
type stopEveryByte struct {
	data    []byte
	stopped bool
}

func (r *stopEveryByte) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	if !r.stopped {
		r.stopped = true
		return 0, errStopped
	}
	r.stopped = false
	p[0] = r.data[0]
	r.data = r.data[1:]
	return 1, nil
}
