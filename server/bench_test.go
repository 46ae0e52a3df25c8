package server_test

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stompbox/stompbox/frame"
	"github.com/stompbox/stompbox/server"
)

// BenchmarkFanOut measures the whole path over loopback TCP: one publisher
// sends b.N chat lines to a topic with subs subscribers, and the benchmark
// ends when every subscriber has read every MESSAGE. deliveries/s counts
// MESSAGE frames received by clients.
//
// The largest count is 9,000, not 10,000: the benchmark holds both ends of
// every connection in one process, and a process may open 20,000 files
// here. cmd/stompbench runs 10,000 and more from a process of its own.
func BenchmarkFanOut(b *testing.B) {
	for _, subs := range []int{1, 10, 100, 9000} {
		b.Run(fmt.Sprintf("subs=%d", subs), func(b *testing.B) {
			e := startBench(b)
			done := make(chan error, subs)
			ready := make(chan struct{}, subs)
			for i := range subs {
				c := benchConn(b, e)
				c.Write(frame.AppendFrame(nil, frame.New(frame.SUBSCRIBE, "id", fmt.Sprint(i), "destination", "/topic/bench", "receipt", "r"), frame.V1_2))
				go func() {
					r := frame.NewReader(c, frame.Limits{})
					var f frame.Frame
					if err := r.ReadFrame(&f); err != nil || f.Command != frame.RECEIPT {
						done <- fmt.Errorf("subscribe: %v %s", err, f.Command)
						return
					}
					ready <- struct{}{}
					for n := 0; n < b.N; n++ {
						if err := r.ReadFrame(&f); err != nil {
							done <- err
							return
						}
					}
					done <- nil
				}()
			}
			for range subs {
				<-ready
			}
			pub := benchConn(b, e)
			msg := frame.New(frame.SEND, "destination", "/topic/bench", "content-type", "application/json")
			msg.Body = []byte(`{"name":"홍길동","content":"안녕하세요."}`)
			wire := frame.AppendFrame(nil, msg, frame.V1_2)
			batch := make([]byte, 0, 64*len(wire))
			b.ResetTimer()
			start := time.Now()
			for sent := 0; sent < b.N; {
				batch = batch[:0]
				for k := 0; k < 64 && sent < b.N; k++ {
					batch = append(batch, wire...)
					sent++
				}
				if _, err := pub.Write(batch); err != nil {
					b.Fatal(err)
				}
			}
			for range subs {
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*subs)/time.Since(start).Seconds(), "deliveries/s")
		})
	}
}

func startBench(b *testing.B) *env {
	b.Helper()
	srv := server.New(server.Config{Logger: quietLogger(), MaxQueuedBytes: 64 << 20})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Shutdown(b.Context()) })
	return &env{srv: srv, tcp: ln.Addr().String()}
}

// benchConn opens a connected TCP STOMP session and returns the raw socket.
func benchConn(b *testing.B, e *env) net.Conn {
	b.Helper()
	c, err := net.Dial("tcp", e.tcp)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	c.Write(frame.AppendFrame(nil, frame.New(frame.CONNECT, "accept-version", "1.2", "heart-beat", "0,0"), frame.V1_2))
	r := frame.NewReader(c, frame.Limits{})
	var f frame.Frame
	if err := r.ReadFrame(&f); err != nil || f.Command != frame.CONNECTED || r.Buffered() != 0 {
		b.Fatalf("connect: %v %s", err, f.Command)
	}
	return c
}
