package hostile

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/gobwas/ws"

	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/internal/stomptest"
)

// WebSocket edge cases from hostile clients, many times over: fragmented
// CONNECTs with pings between fragments work; text that is not UTF-8 gets
// close 1007; invalid close codes get 1002, valid ones are echoed.
func TestHostileWebSocketEdges(t *testing.T) {
	s := start(t)
	closePayload := func(code uint16) []byte { return binary.BigEndian.AppendUint16(nil, code) }
	cases := []struct {
		name string
		send func(c *stomptest.Conn)
		want uint16 // close code expected; 0: CONNECTED expected
	}{
		{"fragmented CONNECT with a ping between", func(c *stomptest.Conn) {
			c.WriteFrame(false, ws.OpText, []byte("CONNECT\naccept-"))
			c.WriteFrame(true, ws.OpPing, []byte("p"))
			c.WriteFrame(false, ws.OpContinuation, []byte("version:1.2\nhost:/\n"))
			c.WriteFrame(true, ws.OpContinuation, []byte("\n\x00"))
		}, 0},
		{"invalid UTF-8 in text", func(c *stomptest.Conn) {
			c.WriteFrame(true, ws.OpText, []byte("CONNECT\nlogin:\xff\xfe\n\n\x00"))
		}, 1007},
		{"UTF-8 cut across fragments and never finished", func(c *stomptest.Conn) {
			c.WriteFrame(false, ws.OpText, []byte("CONNECT\nlogin:\xe2\x82"))
			c.WriteFrame(true, ws.OpContinuation, []byte("x\n\n\x00"))
		}, 1007},
		{"continuation without a message", func(c *stomptest.Conn) {
			c.WriteFrame(true, ws.OpContinuation, []byte("x"))
		}, 1002},
		{"close 1004", func(c *stomptest.Conn) { c.WriteFrame(true, ws.OpClose, closePayload(1004)) }, 1002},
		{"close 5000", func(c *stomptest.Conn) { c.WriteFrame(true, ws.OpClose, closePayload(5000)) }, 1002},
		{"close 65535", func(c *stomptest.Conn) { c.WriteFrame(true, ws.OpClose, closePayload(65535)) }, 1002},
		{"close with 1 byte", func(c *stomptest.Conn) { c.WriteFrame(true, ws.OpClose, []byte{3}) }, 1002},
		{"close 1000", func(c *stomptest.Conn) { c.WriteFrame(true, ws.OpClose, closePayload(1000)) }, 1000},
		{"close 4000", func(c *stomptest.Conn) { c.WriteFrame(true, ws.OpClose, closePayload(4000)) }, 4000},
	}
	rounds := 100 * scale
	attack(t, s, 8<<20, func() string {
		for range rounds {
			for _, tc := range cases {
				c, err := stomptest.TryDialWS(s.wsURL(), "", "v12.stomp")
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				tc.send(c)
				f, err := c.Read()
				switch {
				case tc.want == 0 && (err != nil || f.Command != frame.CONNECTED):
					t.Fatalf("%s: %v %v", tc.name, f, err)
				case tc.want != 0 && err == nil:
					t.Fatalf("%s: got %s, want close %d", tc.name, f.Command, tc.want)
				case tc.want != 0 && c.CloseCode() != tc.want:
					t.Fatalf("%s: close %d, want %d", tc.name, c.CloseCode(), tc.want)
				}
				c.Raw().Close()
			}
		}
		return fmt.Sprintf("%d hostile WebSocket connections, each answered by the RFC 6455 rule", rounds*len(cases))
	})
}
