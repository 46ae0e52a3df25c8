package server

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
)

// Why a browser's origin is refused; each is the body of the 403 response.
var (
	errOriginNotListed = errors.New("origin not allowed: it is not in -allowed-origins (Config.AllowedOrigins)")
	errCrossOrigin     = errors.New("origin not allowed: a page from another site; add its origin to -allowed-origins")
	errRebindableHost  = errors.New("origin not allowed: same-origin is trusted only on an IP address or localhost; add this origin to -allowed-origins")
)

// checkOrigin applies the origin policy to a WebSocket handshake and says
// why it refuses one:
//
//   - A request without an Origin header (not from a browser) passes.
//   - When Config.AllowedOrigins is set, the Origin must be listed in it
//     (compared without regard to case), or the list must hold "*".
//   - When it is empty, the Origin must be the request's own: the same host
//     and port as the Host header (the scheme is not compared, since a
//     TLS-terminating proxy hides it). And the Host must be an IP literal
//     (v4, or v6 in brackets) or "localhost", with any port: a host name
//     can be rebound by its owner's DNS to our address, after which the
//     attacker's page is, to the browser, same-origin with us (DNS
//     rebinding). A server reached by name must list its origins.
func (srv *Server) checkOrigin(r *http.Request) error {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return nil
	}
	if len(srv.cfg.AllowedOrigins) > 0 {
		for _, a := range srv.cfg.AllowedOrigins {
			if a == "*" || strings.EqualFold(a, origin) {
				return nil
			}
		}
		return errOriginNotListed
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || !strings.EqualFold(u.Host, r.Host) {
		return errCrossOrigin
	}
	if !unrebindable(r.Host) {
		return errRebindableHost
	}
	return nil
}

// unrebindable reports whether host (a Host header, port optional) names
// this machine without DNS: an IP literal or localhost.
func unrebindable(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	_, err := netip.ParseAddr(host)
	return err == nil
}
