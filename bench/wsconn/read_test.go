package wsconn

import (
	"bytes"
	"io"
	"testing"
	"testing/iotest"

	"github.com/gobwas/ws"
)

// stream builds frames of many sizes, with pings and an empty frame
// between them, masked as a client's or not as a server's, ending in a
// close; it returns the bytes and the payload stream they carry.
func stream(t *testing.T, masked bool) (wire, want []byte) {
	t.Helper()
	var key *[4]byte
	if masked {
		key = &[4]byte{1, 2, 3, 4}
	}
	for i, n := range []int{0, 1, 5, 125, 126, 127, 300, 65535, 65536, 70000} {
		p := bytes.Repeat([]byte{byte('a' + i%26)}, n)
		wire = AppendFrame(wire, OpText, p, key)
		want = append(want, p...)
		wire = AppendFrame(wire, OpPing, []byte("ping"), key)
	}
	wire = AppendFrame(wire, OpClose, []byte{0x03, 0xe8}, key)
	wire = append(wire, "after the close"...)
	return wire, want
}

func TestReader(t *testing.T) {
	for _, masked := range []bool{false, true} {
		wire, want := stream(t, masked)
		for name, wrap := range map[string]func(io.Reader) io.Reader{
			"whole":   func(r io.Reader) io.Reader { return r },
			"onebyte": iotest.OneByteReader,
			"half":    iotest.HalfReader,
		} {
			pings := 0
			r := &Reader{R: wrap(bytes.NewReader(wire)), OnPing: func(p []byte) {
				if string(p) != "ping" {
					t.Errorf("ping payload %q", p)
				}
				pings++
			}}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatalf("masked=%v %s: %v", masked, name, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("masked=%v %s: %d bytes, want %d", masked, name, len(got), len(want))
			}
			if pings != 10 || r.CloseCode != 1000 {
				t.Errorf("masked=%v %s: %d pings, close %d", masked, name, pings, r.CloseCode)
			}
		}
	}
}

// TestReaderGobwas reads frames gobwas/ws wrote, so AppendFrame is not
// checked against itself alone.
func TestReaderGobwas(t *testing.T) {
	var wire bytes.Buffer
	var want []byte
	for _, n := range []int{3, 200, 70000} {
		p := bytes.Repeat([]byte("x"), n)
		ws.WriteFrame(&wire, ws.MaskFrame(ws.NewTextFrame(p)))
		want = append(want, p...)
	}
	got, err := io.ReadAll(NewReader(iotest.HalfReader(&wire)))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes (%v), want %d", len(got), err, len(want))
	}
	// And gobwas reads what AppendFrame writes.
	b := AppendFrame(nil, OpText, []byte("hello"), &[4]byte{9, 8, 7, 6})
	f, err := ws.ReadFrame(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if f = ws.UnmaskFrameInPlace(f); string(f.Payload) != "hello" || f.Header.OpCode != ws.OpText {
		t.Fatalf("gobwas read %v %q", f.Header, f.Payload)
	}
}

func TestReaderRefuses(t *testing.T) {
	for name, b := range map[string][]byte{
		"reserved bit": {0x90 | OpText, 0},
		"unknown op":   {0x83, 0},
		"long ping":    AppendHeader(nil, OpPing, 126, nil),
	} {
		if _, err := io.ReadAll(NewReader(bytes.NewReader(b))); err != ErrProtocol {
			t.Errorf("%s: %v, want ErrProtocol", name, err)
		}
	}
}
