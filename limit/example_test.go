package limit_test

import (
	"fmt"
	"net"

	"github.com/stompbox/stompbox/limit"
)

// Conns is shared by every listener of a process, so that WebSocket, SSE and
// TCP connections draw on one budget.
func ExampleConns() {
	conns := &limit.Conns{Max: 10000, PerIP: 2}
	ip := &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 40000}
	release, _ := conns.Acquire(ip)
	conns.Acquire(ip)
	_, err := conns.Acquire(ip)
	fmt.Println(err)
	release()
	fmt.Println(conns.Stats().Open)
	// Output:
	// too many connections (max-connections-per-ip 2)
	// 1
}
