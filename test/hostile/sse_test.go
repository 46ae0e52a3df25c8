package hostile

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// openStream sends GET /events for dests with extra headers from src and
// returns the connection, a reader of its (de-chunked) body and the status
// line.
func openStream(s *server, src string, dests []string, header string) (net.Conn, *bufio.Reader, string, error) {
	c, err := dialFrom(src, s.addr)
	if err != nil {
		return nil, nil, "", err
	}
	q := url.Values{"destination": dests}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET /events?%s HTTP/1.1\r\nHost: %s\r\n%s\r\n", q.Encode(), s.addr, header)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return c, nil, "", err
	}
	return c, bufio.NewReaderSize(resp.Body, 64<<10), resp.Status, nil
}

// Oversized Last-Event-ID headers: one just under the HTTP header budget
// is not quoted back, with 16 destinations; one over it gets 431. Memory
// stays flat.
func TestHostileLastEventID(t *testing.T) {
	s := start(t)
	attack(t, s, 16<<20, func() string {
		base := s.sample(t).RSS
		var dests []string
		for i := range 16 {
			dests = append(dests, fmt.Sprint("/topic/lei-", i))
		}
		big := strings.Repeat("A", 60<<10)
		huge := strings.Repeat("B", 1<<20)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		quoted := 0
		for range 20 * scale {
			c, br, status, err := openStream(s, "", dests, "Last-Event-ID: "+big+"\r\n")
			if err != nil || !strings.Contains(status, "200") {
				t.Fatalf("stream: %q %v", status, err)
			}
			conns = append(conns, c)
			head := make([]byte, 4096)
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			n, _ := io.ReadAtLeast(br, head, 1)
			// The rest of the opening (gap events and the id line) follows at once.
			c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			m, _ := br.Read(head[n:])
			quoted = max(quoted, strings.Count(string(head[:n+m]), "A"))
		}
		if quoted > 64 {
			t.Errorf("a stream's opening quotes %d bytes of the Last-Event-ID", quoted)
		}
		var refused atomic.Int64
		var wg sync.WaitGroup
		for range 20 * scale {
			wg.Go(func() {
				c, _, status, err := openStream(s, "", dests, "Last-Event-ID: "+huge+"\r\n")
				if err == nil && strings.Contains(status, "431") {
					refused.Add(1)
				}
				if c != nil {
					c.Close()
				}
			})
		}
		wg.Wait()
		if refused.Load() != int64(20*scale) {
			t.Errorf("%d of %d 1 MB Last-Event-IDs refused with 431", refused.Load(), 20*scale)
		}
		if grew := s.sample(t).RSS - base; grew > 100<<20 {
			t.Errorf("RSS grew %d MB", grew>>20)
		}
		return fmt.Sprintf("20 streams x 16 destinations with a 60 KB Last-Event-ID: at most %d bytes quoted; 20 x 1 MB: 431", quoted)
	})
}

// Thousands of SSE streams and one large message: every stream gets it,
// sharing its bytes (memory grows by far less than streams x size); the
// stream budget refuses the next newcomer with 503 naming it.
func TestHostileSSEStreams(t *testing.T) {
	streams := 2000
	s := start(t, "-max-sse-streams", fmt.Sprint(streams), "-max-connections-per-ip", "10000")
	// Pushing 1.4 GB to 2,000 streams saturates both cores (server and
	// readers) for about a second, more when the VM's cores are busy with
	// others' work; the bystander waits its turn then, but not much longer.
	var push time.Duration
	bound := func() time.Duration { return max(3*time.Second, push+time.Second) }
	attackWithin(t, s, 64<<20, bound, func() string {
		base := s.sample(t).RSS
		var conns []net.Conn
		var readers []*bufio.Reader
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for i := range streams {
			c, br, status, err := openStream(s, "", []string{"/topic/big"}, "")
			if err != nil || !strings.Contains(status, "200") {
				t.Fatalf("stream %d: %q %v", i, status, err)
			}
			conns, readers = append(conns, c), append(readers, br)
		}
		c, br, status, err := openStream(s, "", []string{"/topic/big"}, "")
		if err != nil || !strings.Contains(status, "503") {
			t.Errorf("stream %d: %q %v, want 503", streams+1, status, err)
		} else {
			body, _ := io.ReadAll(io.LimitReader(br, 4096))
			if !strings.Contains(string(body), "MaxStreams") {
				t.Errorf("503 without the budget's name: %q", body)
			}
		}
		if c != nil {
			c.Close()
		}
		// Every stream reads as a browser would, from before the publish.
		body := strings.Repeat("m", 700<<10)
		var got atomic.Int64
		var wg sync.WaitGroup
		for i, br := range readers {
			wg.Go(func() {
				conns[i].SetReadDeadline(time.Now().Add(60 * time.Second))
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					if strings.HasPrefix(line, "data: ") && len(line) > len(body) {
						got.Add(1)
						return
					}
				}
			})
		}
		pub := connectTCP(t, s)
		pushed := time.Now()
		pub.SendText("/topic/big", body, "receipt", "r")
		pub.Expect("RECEIPT")
		grew := s.sample(t).RSS - base
		wg.Wait()
		push = time.Since(pushed)
		if push > 10*time.Second { // 1-2 s here, 3.5 s on a busy VM
			t.Errorf("pushing the message to %d streams took %s", streams, push)
		}
		if got.Load() != int64(streams) {
			t.Errorf("%d of %d streams got the message", got.Load(), streams)
		}
		if grew > 300<<20 {
			t.Errorf("RSS grew %d MB for %d streams and one 700 KB message", grew>>20, streams)
		}
		return fmt.Sprintf("%d streams, one 700 KB message: all received it in %s, RSS +%d MB; stream %d: 503 MaxStreams", streams, push.Round(time.Millisecond), grew>>20, streams+1)
	})
}
