package main

import (
	"fmt"
	"net"

	"github.com/stompbox/stompbox/frame"
)

// refuseHTTP answers a connection past a connection budget with 503, before
// reading its request: the budget's name in the body, and Retry-After.
func refuseHTTP(conn net.Conn, err error) {
	body := "stompbox: " + err.Error() + "; try again later\n"
	fmt.Fprintf(conn, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"+
		"Retry-After: 5\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

// refuseSTOMP answers a TCP STOMP connection past a connection budget with
// an ERROR frame naming the budget, before reading its CONNECT.
func refuseSTOMP(conn net.Conn, err error) {
	f := frame.New(frame.ERROR, frame.HdrMessage, "too many connections", frame.HdrContentType, "text/plain")
	f.Body = []byte(err.Error() + "\n")
	conn.Write(frame.AppendFrame(nil, f, frame.V1_0))
}
