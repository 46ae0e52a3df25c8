package server

import (
	"crypto/tls"
	"net"
	"testing"

	"github.com/stompbox/stompbox/limit"
)

// The writer writes to the connection beneath limit's counting wrapper:
// net.Buffers makes one writev only on a *net.TCPConn, and one write
// per buffer (three a MESSAGE) on anything wrapping it. A TLS connection
// is kept: its writes must be encrypted.
func TestVectorTargetUnwraps(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counted := limit.Listener(ln, &limit.Conns{Max: 10, PerIP: 10}, nil, nil)
	defer counted.Close()
	go func() {
		if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
			defer c.Close()
			c.Read(make([]byte, 1))
		}
	}()
	c, err := counted.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(*net.TCPConn); ok {
		t.Fatal("limit.Listener no longer wraps: this test shows nothing")
	}
	if _, ok := vectorTarget(c).(*net.TCPConn); !ok {
		t.Fatalf("vectorTarget(%T) = %T, want *net.TCPConn", c, vectorTarget(c))
	}
	tc := tls.Server(c, &tls.Config{})
	if vectorTarget(tc) != tc {
		t.Fatal("a TLS connection was unwrapped")
	}
}
