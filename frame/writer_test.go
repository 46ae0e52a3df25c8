package frame

import (
	"bytes"
	"io"
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

// nasty holds every byte that means something in a header line.
const nastyKey, nastyValue = "k:e\\y", "a\nb\rc:d\\e\x00f"

// What each version makes of a key and value it cannot all carry: escapes
// where it has them, substitutes where it has not.
func TestHeaderSubstitution(t *testing.T) {
	cases := []struct {
		ver  Version
		cmd  string
		line string // as written, without the line ending
	}{
		{V1_2, MESSAGE, `k\ce\\y:a\nb\rc\cd\\e f`},
		{V1_1, MESSAGE, `k\ce\\y:a\nb c\cd\\e f`},
		{V1_0, MESSAGE, `k_e\y:a b c:d\e f`},
		{V1_2, CONNECTED, `k_e\y:a b c:d\e f`},
		{V1_1, CONNECTED, `k_e\y:a b c:d\e f`},
		{V1_0, CONNECTED, `k_e\y:a b c:d\e f`},
		{V1_2, MESSAGE, "plain-key:/topic/a b"}, // nothing to change
	}
	for _, c := range cases {
		t.Run(c.ver.String()+"/"+c.cmd, func(t *testing.T) {
			key, value := nastyKey, nastyValue
			if strings.HasPrefix(c.line, "plain") {
				key, value = "plain-key", "/topic/a b"
			}
			wire := string(AppendFrame(nil, New(c.cmd, key, value), c.ver))
			if want := c.cmd + "\n" + c.line + "\n\n\x00"; wire != want {
				t.Errorf("AppendFrame = %q, want %q", wire, want)
			}
			if c.cmd == CONNECTED {
				return
			}
			if got := string(AppendHeader(nil, key, value, c.ver)); got != c.line+"\n" {
				t.Errorf("AppendHeader(string) = %q, want %q", got, c.line+"\n")
			}
			if got := string(AppendHeader(nil, key, []byte(value), c.ver)); got != c.line+"\n" {
				t.Errorf("AppendHeader([]byte) = %q, want %q", got, c.line+"\n")
			}
		})
	}
}

// What the writer emits for version v decodes, with a Reader of version v,
// into the same headers: no header is injected or lost, and each decoded key
// and value has the length of the original and differs from it only where
// a byte v cannot carry was replaced by its substitute.
func TestHeaderRoundTripEveryVersion(t *testing.T) {
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	kv := []string{
		nastyKey, nastyValue,
		string(all), string(all),
		"", "",
		"\n", "\n\nMESSAGE\nforged:1\n\n\x00",
		"\r", "v\r",
		":", ":",
		"\\", "\\",
		"x\x00y", "\x00",
		"destination", "/topic/a\nmessage-id:forged",
	}
	for _, v := range []Version{V1_0, V1_1, V1_2} {
		for _, cmd := range []string{MESSAGE, ERROR, RECEIPT, SEND, CONNECTED, CONNECT} {
			raw := !escapes(cmd)
			f := New(cmd, kv...)
			wire := AppendFrame(nil, f, v)
			if bytes.IndexByte(wire, 0) != len(wire)-1 {
				t.Fatalf("%s %s: NUL before the end of %q", v, cmd, wire)
			}
			for _, rname := range []string{"whole", "one-byte"} {
				r := NewReader(readers[rname](string(wire)), Limits{})
				r.SetVersion(v)
				var g Frame
				if err := r.ReadFrame(&g); err != nil {
					t.Fatalf("%s %s %s: %v in %q", v, cmd, rname, err, wire)
				}
				if len(g.Header) != len(f.Header) || len(g.Body) != 0 {
					t.Fatalf("%s %s %s: %d headers and body %q from %q, want %d headers",
						v, cmd, rname, len(g.Header), g.Body, wire, len(f.Header))
				}
				for i := range f.Header {
					checkSubstituted(t, v, raw, true, f.Header[i].Key, g.Header[i].Key)
					checkSubstituted(t, v, raw, false, f.Header[i].Value, g.Header[i].Value)
				}
				if err := r.ReadFrame(&g); err != io.EOF {
					t.Fatalf("%s %s %s: after the frame: %v", v, cmd, rname, err)
				}
			}
		}
	}
}

// checkSubstituted checks that got is in, decoded after encoding for v, with
// only the bytes v cannot carry replaced.
func checkSubstituted(t *testing.T, v Version, raw, key bool, in, got []byte) {
	t.Helper()
	if len(got) != len(in) {
		t.Fatalf("%s raw=%v key=%v: %q decoded as %q", v, raw, key, in, got)
	}
	esc := !raw && v >= V1_1
	for i, c := range in {
		want := c
		switch {
		case c == 0:
			want = ' '
		case c == '\n' && !esc, c == '\r' && !(esc && v >= V1_2):
			want = ' '
		case c == ':' && key && !esc:
			want = '_'
		}
		if got[i] != want {
			t.Fatalf("%s raw=%v key=%v: byte %d of %q decoded as %q, want %q", v, raw, key, i, in, got[i], want)
		}
	}
}
