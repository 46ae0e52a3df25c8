package limit

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
)

// Conns counts open connections, in total and per client IP address, against
// two budgets. The zero value has no budget; set Max and PerIP before use.
type Conns struct {
	// Max bounds the connections open at once; 0 means no bound.
	Max int
	// PerIP bounds the connections one IP address holds at once (IPv6
	// addresses are grouped by /64, since one host usually holds a whole
	// /64); 0 means no bound.
	PerIP int

	mu      sync.Mutex
	total   int
	byIP    map[netip.Addr]int
	peak    int
	refused uint64
}

// An Error is a refusal: which budget a newcomer would exceed.
type Error struct {
	Limit string // the budget's name, e.g. "max-connections"
	Max   int
}

func (e *Error) Error() string {
	return fmt.Sprintf("too many connections (%s %d)", e.Limit, e.Max)
}

// Acquire counts a connection from addr in, or says which budget it would
// exceed. Call the returned release exactly once when the connection ends.
func (c *Conns) Acquire(addr net.Addr) (release func(), err error) {
	ip := clientIP(addr)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.Max > 0 && c.total >= c.Max {
		c.refused++
		return nil, &Error{Limit: "max-connections", Max: c.Max}
	}
	if c.PerIP > 0 && c.byIP[ip] >= c.PerIP {
		c.refused++
		return nil, &Error{Limit: "max-connections-per-ip", Max: c.PerIP}
	}
	if c.byIP == nil {
		c.byIP = make(map[netip.Addr]int)
	}
	c.total++
	c.byIP[ip]++
	c.peak = max(c.peak, c.total)
	var once sync.Once
	return func() { once.Do(func() { c.release(ip) }) }, nil
}

func (c *Conns) release(ip netip.Addr) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total--
	if c.byIP[ip]--; c.byIP[ip] <= 0 {
		delete(c.byIP, ip)
	}
}

// ConnStats is a snapshot of a Conns.
type ConnStats struct {
	Open    int    // connections open now
	Peak    int    // most open at once
	IPs     int    // distinct client addresses (or /64s) now
	Refused uint64 // newcomers refused since start
}

// Stats returns the counts now.
func (c *Conns) Stats() ConnStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return ConnStats{Open: c.total, Peak: c.peak, IPs: len(c.byIP), Refused: c.refused}
}

// clientIP is the budget key for addr: its IP, IPv6 reduced to its /64.
func clientIP(addr net.Addr) netip.Addr {
	var ip netip.Addr
	switch a := addr.(type) {
	case *net.TCPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
	default:
		if ap, err := netip.ParseAddrPort(addr.String()); err == nil {
			ip = ap.Addr()
		}
	}
	ip = ip.Unmap()
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			ip = p.Addr()
		}
	}
	return ip
}
