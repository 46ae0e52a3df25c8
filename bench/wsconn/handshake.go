package wsconn

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/gobwas/ws"
)

// Dial opens a WebSocket connection to url (ws://host:port/path), offering
// protocols, and returns the connection, the reader its frames are to be
// read from (the connection itself, after any bytes the server sent right
// behind its handshake) and the negotiated subprotocol.
// No Origin header is sent.
func Dial(ctx context.Context, url string, protocols []string, timeout time.Duration) (net.Conn, io.Reader, string, error) {
	d := ws.Dialer{Protocols: protocols, Timeout: timeout}
	c, br, hs, err := d.Dial(ctx, url)
	if err != nil {
		return nil, nil, "", fmt.Errorf("wsconn: dial %s: %w", url, err)
	}
	var r io.Reader = c
	if br != nil && br.Buffered() > 0 {
		// Only the bytes already buffered come from br, so it is not kept
		// once they are read.
		r = io.MultiReader(io.LimitReader(br, int64(br.Buffered())), c)
	}
	return c, r, hs.Protocol, nil
}

// Accept reads a WebSocket upgrade request for path from c and answers
// it, choosing the first of the client's offered protocols that is in
// protocols (none when it offers none of them). It returns the chosen
// protocol.
func Accept(c net.Conn, path string, protocols []string) (string, error) {
	u := ws.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 512,
		OnRequest: func(uri []byte) error {
			if p, _, _ := cutQuery(uri); string(p) != path {
				return ws.RejectConnectionError(ws.RejectionStatus(404))
			}
			return nil
		},
		Protocol: func(p []byte) bool {
			for _, want := range protocols {
				if string(p) == want {
					return true
				}
			}
			return false
		},
	}
	hs, err := u.Upgrade(c)
	if err != nil {
		return "", fmt.Errorf("wsconn: accept: %w", err)
	}
	return hs.Protocol, nil
}

func cutQuery(uri []byte) (path, query []byte, ok bool) {
	for i, c := range uri {
		if c == '?' {
			return uri[:i], uri[i+1:], true
		}
	}
	return uri, nil, false
}
