package scale

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/stompbox/stompbox/frame"
)

// wait bounds every handshake step of a client.
const wait = 10 * time.Second

// A client is one plain-TCP STOMP 1.2 connection without heart-beats.
// Goroutine use: one reader; writes are the caller's.
type client struct {
	c  net.Conn
	rd *frame.Reader
	f  frame.Frame // the last frame read, valid until the next read
}

// dial connects to a node's STOMP port and waits for CONNECTED; login
// names the user ("" for anonymous).
func dial(addr, login string) (*client, error) {
	c, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		return nil, err
	}
	cl := &client{c: c, rd: frame.NewReader(c, frame.Limits{MaxBody: 1 << 20})}
	kv := []string{"accept-version", "1.2", "host", "localhost", "heart-beat", "0,0"}
	if login != "" {
		kv = append(kv, "login", login)
	}
	if err := cl.send(frame.New(frame.CONNECT, kv...)); err != nil {
		c.Close()
		return nil, err
	}
	f, err := cl.read()
	if err == nil && f.Command != frame.CONNECTED {
		err = fmt.Errorf("CONNECT answered %s %s", f.Command, f.Header.Get(frame.HdrMessage))
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("connect %s: %w", login, err)
	}
	return cl, nil
}

func (cl *client) send(f *frame.Frame) error { return cl.write(frame.AppendFrame(nil, f, frame.V1_2)) }

func (cl *client) write(b []byte) error {
	cl.c.SetWriteDeadline(time.Now().Add(wait))
	_, err := cl.c.Write(b)
	return err
}

// read reads the next frame within wait.
func (cl *client) read() (*frame.Frame, error) {
	cl.c.SetReadDeadline(time.Now().Add(wait))
	if err := cl.rd.ReadFrame(&cl.f); err != nil {
		return nil, err
	}
	return &cl.f, nil
}

// request sends f with a receipt and waits for it, skipping MESSAGEs
// (a room's join events may come first).
func (cl *client) request(f *frame.Frame, receipt string) error {
	f.Header.Add(frame.HdrReceipt, receipt)
	if err := cl.send(f); err != nil {
		return err
	}
	for {
		g, err := cl.read()
		if err != nil {
			return fmt.Errorf("%s: waiting for its receipt: %w", f.Command, err)
		}
		switch g.Command {
		case frame.RECEIPT:
			if id := g.Header.Get(frame.HdrReceiptID); id != receipt {
				return fmt.Errorf("%s: receipt %q, want %q", f.Command, id, receipt)
			}
			return nil
		case frame.ERROR:
			return fmt.Errorf("%s %s: ERROR %s", f.Command, f.Header.Get(frame.HdrDestination), g.Header.Get(frame.HdrMessage))
		}
	}
}

func (cl *client) subscribe(id, dest string) error {
	return cl.request(frame.New(frame.SUBSCRIBE, "id", id, "destination", dest), "sub-"+id)
}

// parallel runs f(0..n-1) on workers goroutines and returns the first
// error.
func parallel(n, workers int, f func(i int) error) error {
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
		next  = make(chan int)
	)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return first
}

// atoi parses a header's decimal value without allocating; -1 if it is not
// one.
func atoi(b []byte, ok bool) int64 {
	if !ok || len(b) == 0 {
		return -1
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// closed reports whether err is what reading a connection the test closed
// itself returns.
func closed(err error) bool { return errors.Is(err, net.ErrClosed) }

// appendSend appends a SEND of body to dest from publisher pub with
// sequence number seq (also its receipt).
func appendSend(dst []byte, dest string, pub int, seq int64, body []byte) []byte {
	dst = append(dst, "SEND\ndestination:"...)
	dst = append(dst, dest...)
	dst = append(dst, "\nreceipt:"...)
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, "\npub:"...)
	dst = strconv.AppendInt(dst, int64(pub), 10)
	dst = append(dst, "\nseq:"...)
	dst = strconv.AppendInt(dst, seq, 10)
	dst = append(dst, "\ncontent-type:text/plain\n"...)
	dst = frame.AppendContentLength(dst, len(body))
	dst = append(dst, '\n')
	dst = append(dst, body...)
	return append(dst, 0)
}
