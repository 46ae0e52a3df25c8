package server

import (
	"errors"
	"fmt"

	"github.com/stompbox/stompbox/frame"
)

// A ProtocolError is what a client did wrong. It becomes an ERROR frame
// whose message header is Message and whose body is Detail, after which the
// connection closes.
type ProtocolError struct {
	Message string       // short, for the message header
	Detail  string       // longer, for the body
	Header  frame.Header // extra headers for the ERROR frame, if any
}

func (e *ProtocolError) Error() string {
	if e.Detail == "" {
		return "server: " + e.Message
	}
	return "server: " + e.Message + ": " + e.Detail
}

func protoErr(msg, format string, args ...any) *ProtocolError {
	return &ProtocolError{Message: msg, Detail: fmt.Sprintf(format, args...)}
}

// denied is the ERROR for a refusal by a hook: what was refused, and the
// hook's reason when it has one meant for the client.
func denied(what, dest string, err error) *ProtocolError {
	detail := "not allowed to " + what
	if dest != "" {
		detail += " " + frame.Truncate(dest)
	}
	var ce clientError
	if errors.As(err, &ce) {
		detail += ": " + ce.ClientError()
	}
	return &ProtocolError{Message: "access denied", Detail: detail}
}

// errorFrame builds the ERROR frame for err, answering the receipt of the
// frame that caused it, if it had one.
func errorFrame(err *ProtocolError, receipt []byte) *frame.Frame {
	f := frame.New(frame.ERROR, frame.HdrMessage, err.Message, frame.HdrContentType, "text/plain")
	if receipt != nil {
		f.Header.Add(frame.HdrReceiptID, string(receipt))
	}
	f.Header = append(f.Header, err.Header...)
	if err.Detail != "" {
		f.Body = []byte(err.Detail + "\n")
	}
	return f
}

// budgetErrors are the ERROR messages that mean a client hit a budget: each
// is also a rate-limited warning, so an operator sees a flood without the
// log being flooded.
var budgetErrors = map[string]bool{
	"slow consumer": true, "queue full": true, "too many destinations": true,
	"too many pattern subscriptions": true, "too many subscriptions": true,
	"too many unacknowledged messages": true, "too many unacknowledged bytes": true,
	"too many transactions": true, "transaction too large": true,
	"body too large": true, "header line too long": true, "too many headers": true,
	"destination too long": true,
}
