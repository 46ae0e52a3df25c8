package wsconn_test

import (
	"bytes"
	"fmt"
	"io"

	"github.com/stompbox/stompbox/bench/wsconn"
)

func Example() {
	// A client masks what it sends; a batch of frames is one buffer.
	key := &[4]byte{0x12, 0x34, 0x56, 0x78}
	var out []byte
	out = wsconn.AppendFrame(out, wsconn.OpText, []byte("SEND\ndestination:/topic/a\n\nhi\x00"), key)
	out = wsconn.AppendFrame(out, wsconn.OpPing, nil, key)
	out = wsconn.AppendFrame(out, wsconn.OpText, []byte("DISCONNECT\n\n\x00"), key)

	// The receiving side reads the payloads as one STOMP stream.
	b, _ := io.ReadAll(wsconn.NewReader(bytes.NewReader(out)))
	fmt.Printf("%q\n", b)
	// Output: "SEND\ndestination:/topic/a\n\nhi\x00DISCONNECT\n\n\x00"
}
