package server

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
)

// FuzzSession feeds arbitrary bytes to a session, after a CONNECT or not.
// Whatever comes in, the session must not panic, must end once its peer
// goes, must leave no subscription behind, and must only ever write
// well-formed frames with nothing after an ERROR.
func FuzzSession(f *testing.F) {
	connect := "CONNECT\naccept-version:1.0,1.1,1.2\nheart-beat:0,0\n\n\x00"
	for _, seed := range []string{
		connect + "SUBSCRIBE\nid:1\ndestination:/topic/a\nreceipt:r\n\n\x00SEND\ndestination:/topic/a\n\nhi\x00",
		connect + "SUBSCRIBE\nid:1\ndestination:/queue/q\nack:client\n\n\x00SEND\ndestination:/queue/q\n\n\x00ACK\nid:x\n\n\x00",
		connect + "BEGIN\ntransaction:t\n\n\x00SEND\ndestination:/topic/a\ntransaction:t\n\nx\x00COMMIT\ntransaction:t\n\n\x00",
		connect + "BEGIN\ntransaction:t\n\n\x00ABORT\ntransaction:t\nreceipt:1\n\n\x00DISCONNECT\nreceipt:2\n\n\x00",
		connect + "UNSUBSCRIBE\nid:1\n\n\x00NACK\nid:1\n\n\x00",
		connect + "SEND\ndestination:/topic/a\ncontent-length:3\n\na\x00b\x00\n\n",
		"STOMP\naccept-version:1.1\n\n\x00SUBSCRIBE\ndestination:/topic/x\nid:0\n\n\x00",
		"CONNECT\n\n\x00SUBSCRIBE\ndestination:/topic/x\n\n\x00UNSUBSCRIBE\ndestination:/topic/x\n\n\x00",
		"SEND\n\n\x00",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b := broker.NewMemory()
		srv := New(Config{Broker: b, Logger: slog.New(slog.DiscardHandler),
			ConnectTimeout: time.Second, WriteTimeout: time.Second, HeartBeatSend: -1, HeartBeatReceive: -1})
		client, conn := net.Pipe()
		done := make(chan struct{})
		go func() {
			srv.run(conn, tcpTransport{}, conn, nil)
			close(done)
		}()
		out := make(chan []byte, 1)
		go func() {
			got, _ := io.ReadAll(client)
			out <- got
		}()
		client.SetWriteDeadline(time.Now().Add(time.Second))
		client.Write(data) // may stop part way: the server stops reading after an ERROR
		client.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("session did not end after its peer went")
		}
		written := <-out
		if srv.Sessions() != 0 {
			t.Fatal("session still registered")
		}
		for _, d := range []string{"/topic/a", "/topic/x", "/queue/q"} {
			if n := b.Subscriptions(d); n != 0 {
				t.Fatalf("%d subscriptions to %s left behind", n, d)
			}
		}
		checkOutput(t, written)
	})
}

// checkOutput decodes what a session wrote: only whole frames (and
// heart-beats), only server commands, nothing after an ERROR.
func checkOutput(t *testing.T, written []byte) {
	r := frame.NewReader(bytes.NewReader(written), frame.Limits{MaxBody: 8 << 20, MaxHeaders: 1000})
	sawError := false
	for {
		var f frame.Frame
		err := r.ReadFrame(&f)
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return // cut off by the pipe closing
		}
		if err != nil {
			t.Fatalf("server wrote an invalid frame: %v in %q", err, written)
		}
		if sawError {
			t.Fatalf("%s after ERROR in %q", f.Command, written)
		}
		switch f.Command {
		case frame.CONNECTED, frame.MESSAGE, frame.RECEIPT:
		case frame.ERROR:
			sawError = true
			if f.Header.Get("message") == "" {
				t.Fatalf("ERROR without message: %q", written)
			}
		default:
			t.Fatalf("server wrote a %s frame", f.Command)
		}
	}
}
