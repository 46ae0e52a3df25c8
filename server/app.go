package server

import (
	"context"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/frame"
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

// A SubscribeApplication also answers SUBSCRIBEs to its destinations,
// like Spring's @SubscribeMapping. handled=false leaves the SUBSCRIBE to the
// broker. A non-nil reply is sent to the subscriber alone, once, with the
// subscribed destination; the broker never sees the subscription. h holds
// the SUBSCRIBE frame's headers (a handler may read paging parameters from
// it); it is valid only during the call.
type SubscribeApplication interface {
	Application
	HandleSubscribe(ctx context.Context, destination string, h frame.Header) (handled bool, reply *broker.Message, err error)
}

// An application error with a ClientError method may say what was wrong:
// that text goes into the ERROR frame's body. Other errors are only logged.
type clientError interface {
	ClientError() string
}
