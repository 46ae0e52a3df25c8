package server

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stompbox/stompbox/frame"
)

// A reader that writes for a subscriber whose socket is full writes what
// the socket takes without waiting and hands the rest to a writer
// goroutine, which finishes it once the peer reads: the frame arrives
// whole, after everything written before it.
func TestDirectWriteHandsTheRestToAWriter(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	client.(*net.TCPConn).SetReadBuffer(16 << 10)
	conn.(*net.TCPConn).SetWriteBuffer(16 << 10)

	srv := New(Config{Logger: slog.New(slog.DiscardHandler), HeartBeatSend: -1, HeartBeatReceive: -1})
	s := srv.newSession(conn, tcpTransport{}, nil)
	if s.rc == nil {
		t.Fatal("no raw socket: the direct path is off")
	}
	// Fill the socket's buffers with heart-beats (valid STOMP) until a
	// write that may not wait takes nothing.
	filler := bytes.Repeat([]byte{'\n'}, 64<<10)
	sent := 0
	for {
		n, err := s.writeNow(filler)
		if err != nil {
			t.Fatal(err)
		}
		sent += n
		if n == 0 {
			break
		}
	}
	msg := frame.New(frame.MESSAGE, "destination", "/topic/x", "subscription", "s", "message-id", "1")
	msg.Body = bytes.Repeat([]byte{'y'}, 32<<10)
	wire := frame.AppendFrame(nil, msg, frame.V1_2)
	s.mu.Lock()
	s.queue = append(s.queue, outFrame{head: wire, text: true})
	s.queued += len(wire)
	s.writing = true // claimed, as deferFlush's caller has
	s.mu.Unlock()
	s.flushDirect(nil)
	s.mu.Lock()
	handed := s.writing
	s.mu.Unlock()
	if !handed {
		t.Fatal("the write into a full socket completed: nothing was handed to a writer")
	}
	if q := s.queuedBytes(); q == 0 || q > len(wire) {
		t.Fatalf("%d bytes counted as queued while the writer holds the rest of a %d-byte frame: want them within MaxQueuedBytes", q, len(wire))
	}

	// The peer reads: the heart-beats, then the frame, whole.
	client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.CopyN(io.Discard, client, int64(sent)); err != nil {
		t.Fatalf("reading the %d bytes written first: %v", sent, err)
	}
	rd := frame.NewReader(client, frame.Limits{})
	var f frame.Frame
	if err := rd.ReadFrame(&f); err != nil {
		t.Fatal(err)
	}
	if f.Command != frame.MESSAGE || !bytes.Equal(f.Body, msg.Body) {
		t.Fatalf("got %s with a %d-byte body, want the MESSAGE with %d bytes", f.Command, len(f.Body), len(msg.Body))
	}
	s.closeWith(1000)
	select {
	case <-s.writerDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the writer did not end after the session closed")
	}
	conn.Close()
}
