package frame_test

import (
	"fmt"
	"strings"

	"github.com/stompbox/stompbox/frame"
)

// Decoding a stream that holds a heart-beat and two frames.
func ExampleReader() {
	wire := "\nSEND\ndestination:/app/chat\n\n{\"name\":\"홍길동\",\"content\":\"안녕하세요.\"}\x00" +
		"DISCONNECT\nreceipt:77\n\n\x00"
	r := frame.NewReader(strings.NewReader(wire), frame.Limits{})
	var f frame.Frame
	for r.ReadFrame(&f) == nil {
		fmt.Println(f.Command, f.Header.Get(frame.HdrDestination)+f.Header.Get(frame.HdrReceipt), string(f.Body))
	}
	// Output:
	// SEND /app/chat {"name":"홍길동","content":"안녕하세요."}
	// DISCONNECT 77
}

// Encoding escapes header values, so a newline cannot start a new header.
func ExampleAppendFrame() {
	f := frame.New(frame.MESSAGE, frame.HdrDestination, "/topic/chat", "note", "a\nb:c")
	f.Body = []byte("hi")
	fmt.Printf("%q\n", frame.AppendFrame(nil, f, frame.V1_2))
	// Output:
	// "MESSAGE\ndestination:/topic/chat\nnote:a\\nb\\cc\ncontent-length:2\n\nhi\x00"
}
