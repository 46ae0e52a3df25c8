package server

import (
	"context"

	"github.com/stompbox/stompbox/broker"
)

// An Application handles SEND frames addressed to it, as Spring's
// @MessageMapping controllers do. messaging.Router implements it.
type Application interface {
	// HandleSend is offered every SEND. It reports handled=false for a
	// destination it does not own, which then goes to the broker. It is
	// called on the sending session's reader goroutine, so one session's
	// frames are handled in order; ctx ends when the session does. A non-nil
	// error becomes an ERROR frame for the sender; its text is logged, and
	// sent only if the error has a ClientError() string method.
	HandleSend(ctx context.Context, m *broker.Message) (handled bool, err error)
}

// An application error with a ClientError method may say what was wrong:
// that text goes into the ERROR frame's body. Other errors are only logged.
type clientError interface {
	ClientError() string
}
