package frame

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// Every valid fixture survives encode then decode, for the version it was
// written in.
func TestRoundTrip(t *testing.T) {
	for _, fx := range fixtures {
		if fx.err != nil {
			continue
		}
		t.Run(fx.name, func(t *testing.T) {
			r := NewReader(strings.NewReader(fx.wire), Limits{})
			r.SetVersion(fx.ver)
			var f Frame
			if err := r.ReadFrame(&f); err != nil {
				t.Fatal(err)
			}
			wire := AppendFrame(nil, &f, fx.ver)
			r2 := NewReader(bytes.NewReader(wire), Limits{})
			r2.SetVersion(fx.ver)
			var g Frame
			if err := r2.ReadFrame(&g); err != nil {
				t.Fatalf("decoding %q: %v", wire, err)
			}
			want := fx
			want.header = nil
			for _, h := range fx.header {
				if h[0] != HdrContentLength {
					want.header = append(want.header, h)
				}
			}
			if len(fx.body) > 0 {
				want.header = append(want.header, [2]string{HdrContentLength, strconv.Itoa(len(fx.body))})
			}
			checkFrame(t, &g, want)
		})
	}
}

// No header value can inject a header line or end the headers, in any
// version, on any command.
func TestNoHeaderInjection(t *testing.T) {
	evil := "x\nmessage-id:forged\r\n\nbody\x00"
	for _, v := range []Version{V1_0, V1_1, V1_2} {
		for _, cmd := range []string{MESSAGE, CONNECTED, ERROR} {
			f := New(cmd, "k", evil, "evil\nkey:", "v")
			wire := AppendFrame(nil, f, v)
			if i := bytes.IndexByte(wire, 0); i != len(wire)-1 {
				t.Fatalf("%s %s: a NUL at %d of %q: clients would end the frame there", v, cmd, i, wire)
			}
			r := NewReader(bytes.NewReader(wire), Limits{})
			r.SetVersion(v)
			var g Frame
			if err := r.ReadFrame(&g); err != nil {
				t.Fatalf("%s %s: %v in %q", v, cmd, err, wire)
			}
			if len(g.Header) != 2 || g.Header.Has("message-id") {
				t.Fatalf("%s %s: headers %q from %q", v, cmd, g.Header, wire)
			}
			if bytes.IndexByte(g.Header[0].Value, '\n') >= 0 && (v == V1_0 || cmd == CONNECTED) {
				t.Fatalf("%s %s: raw newline survived: %q", v, cmd, g.Header[0].Value)
			}
		}
	}
}

func TestContentLengthIsTruthful(t *testing.T) {
	f := New(MESSAGE, "content-length", "999", "destination", "/topic/a")
	f.Body = []byte("four")
	wire := string(AppendFrame(nil, f, V1_2))
	if strings.Count(wire, "content-length") != 1 || !strings.Contains(wire, "content-length:4\n") {
		t.Fatalf("wire = %q", wire)
	}
	if wire := string(AppendFrame(nil, New(RECEIPT, "receipt-id", "7"), V1_2)); wire != "RECEIPT\nreceipt-id:7\n\n\x00" {
		t.Fatalf("wire = %q", wire)
	}
}

func TestWriterFlushesOnce(t *testing.T) {
	var calls int
	var out bytes.Buffer
	w := NewWriter(writerFunc(func(p []byte) (int, error) { calls++; return out.Write(p) }))
	w.Append(New(SEND, "destination", "/topic/a"))
	w.AppendHeartbeat()
	w.Append(New(SEND, "destination", "/topic/b"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if calls != 1 || out.String() != "SEND\ndestination:/topic/a\n\n\x00\nSEND\ndestination:/topic/b\n\n\x00" {
		t.Fatalf("%d writes of %q", calls, out.String())
	}
	if err := w.Flush(); err != nil || calls != 1 {
		t.Fatalf("empty flush wrote: %v, %d calls", err, calls)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
