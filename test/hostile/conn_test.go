package hostile

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// dialFrom connects to addr from a given loopback source address ("" for
// any).
func dialFrom(src, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	if src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
	}
	return d.Dial("tcp", addr)
}

// closedWithin reports whether the server closes c (EOF or reset) within d.
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return true
}

// Slowloris, idle keep-alives and half-sent second requests are closed by
// the HTTP timeouts, and cost nothing once they are.
func TestHostileSlowlorisAndIdle(t *testing.T) {
	s := start(t, "-http-read-header-timeout", "1s", "-http-idle-timeout", "1s", "-http-read-timeout", "2s")
	n := 200 * scale
	attack(t, s, 8<<20, func() string {
		var conns []net.Conn
		dial := func() net.Conn {
			c, err := dialFrom("", s.addr)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
			return c
		}
		var slow, idle, half []net.Conn
		for range n {
			c := dial()
			io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
			slow = append(slow, c)
		}
		for range n {
			c := dial()
			io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
			idle = append(idle, c)
		}
		for range n / 2 {
			c := dial()
			io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHo")
			half = append(half, c)
		}
		// Slowloris keeps trickling a header byte every 300 ms.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(300 * time.Millisecond):
				}
				for _, c := range slow {
					c.Write([]byte{'X'})
				}
			}
		})
		var mu sync.Mutex
		closed := map[string]int{}
		var check sync.WaitGroup
		for name, group := range map[string][]net.Conn{"slowloris": slow, "idle keep-alive": idle, "half-sent request": half} {
			for _, c := range group {
				check.Go(func() {
					if closedWithin(c, 5*time.Second) {
						mu.Lock()
						closed[name]++
						mu.Unlock()
					}
				})
			}
		}
		check.Wait()
		close(stop)
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
		for name, want := range map[string]int{"slowloris": n, "idle keep-alive": n, "half-sent request": n / 2} {
			if closed[name] != want {
				t.Errorf("%s: the server closed %d of %d within 5 s", name, closed[name], want)
			}
		}
		return fmt.Sprintf("closed by the server: %d slowloris, %d idle, %d half-sent", closed["slowloris"], closed["idle keep-alive"], closed["half-sent request"])
	})
}

// Past -max-connections, newcomers get 503 naming it; past
// -max-connections-per-ip, newcomers from that address get 503 naming
// that, while other addresses connect; the STOMP port answers with an
// ERROR frame. Nobody already connected notices.
func TestHostileConnectionFlood(t *testing.T) {
	max := 8000 // near the open-files limit (20,000 for each process here)
	s := start(t, "-max-connections", fmt.Sprint(max), "-max-connections-per-ip", "300")
	attack(t, s, 16<<20, func() string {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		// 300 per source address from 127.0.0.10 on, up to the total
		// budget (the bystander holds 2 of it), then 200 more.
		refused := map[string]int{}
		for i := 0; len(conns) < max+200; i++ {
			src := fmt.Sprintf("127.0.0.%d", 10+i/300)
			c, err := dialFrom(src, s.addr)
			if err != nil {
				t.Fatalf("dial %d: %v", i, err)
			}
			conns = append(conns, c)
		}
		// A newcomer past its budget reads the refusal at once; one let in
		// reads nothing until it asks.
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Go(func() {
				c.SetReadDeadline(time.Now().Add(time.Second))
				br := bufio.NewReader(c)
				line, _ := br.ReadString('\n')
				if !strings.HasPrefix(line, "HTTP/1.1 503") {
					return
				}
				body, _ := io.ReadAll(br)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case strings.Contains(string(body), "max-connections-per-ip"):
					refused["per-ip"]++
				case strings.Contains(string(body), "max-connections"):
					refused["total"]++
				default:
					t.Errorf("503 without the budget's name: %q", body)
				}
			})
		}
		wg.Wait()
		if got := refused["total"]; got < 190 || got > 202 {
			t.Errorf("%d newcomers refused by max-connections, want about 200", got)
		}
		// Per IP: 127.0.0.2 past 300, while 127.0.0.3 still gets in (after
		// the flood above is gone).
		for _, c := range conns {
			c.Close()
		}
		conns = conns[:0]
		time.Sleep(200 * time.Millisecond)
		for range 320 {
			c, err := dialFrom("127.0.0.2", s.addr)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		perIP := 0
		for _, c := range conns[300:] {
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			if b, _ := io.ReadAll(c); strings.Contains(string(b), "max-connections-per-ip 300") {
				perIP++
			}
		}
		if perIP != 20 {
			t.Errorf("%d of 20 over the per-IP budget refused", perIP)
		}
		other, err := dialFrom("127.0.0.3", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(other, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		other.SetReadDeadline(time.Now().Add(5 * time.Second))
		if b, _ := io.ReadAll(other); !strings.HasPrefix(string(b), "HTTP/1.1 200") {
			t.Errorf("another address was refused: %q", b)
		}
		other.Close()
		// The STOMP port refuses with an ERROR frame.
		for _, c := range conns {
			c.Close()
		}
		conns = conns[:0]
		time.Sleep(200 * time.Millisecond)
		for range 301 {
			c, err := dialFrom("127.0.0.4", s.stomp)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		last := conns[len(conns)-1]
		last.SetReadDeadline(time.Now().Add(2 * time.Second))
		if b, _ := io.ReadAll(last); !strings.HasPrefix(string(b), "ERROR\n") || !strings.Contains(string(b), "message:too many connections") {
			t.Errorf("STOMP newcomer read %q", b)
		}
		return fmt.Sprintf("%d of %d refused (503 max-connections), %d/20 per-IP 503, STOMP ERROR", refused["total"], max+200, perIP)
	})
}
