package chat

import (
	"context"
	"errors"

	"github.com/stompbox/stompbox/messaging"
	"github.com/stompbox/stompbox/server"
)

// A refusal is a request the chat turns down, with a code for
// /user/queue/errors and a text the client is shown. As a server hook's
// error it becomes the ERROR frame's text (ClientError).
type refusal struct{ code, msg string }

func refuse(code, msg string) *refusal { return &refusal{code: code, msg: msg} }

func (e *refusal) Error() string       { return "chat: " + e.code + ": " + e.msg }
func (e *refusal) ClientError() string { return e.msg }

// forClient turns a handler's refusal into the messaging.Error that goes
// to the sender's /user/queue/errors; other errors pass unchanged (the
// sender is told "internal error" and the log keeps the cause). When the
// SEND asked for a receipt, a refusal is a protocol error instead (an
// ERROR frame, "code: message", and no RECEIPT): a receipt must never
// stand for a line that was not stored.
func (a *App) forClient(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	var r *refusal
	if !errors.As(err, &r) {
		if !server.ReceiptRequested(ctx) {
			return err // the router logs it and tells the sender "internal error"
		}
		a.log.Error("chat: handler failed", "err", err)
		r = refuse("internal-error", "the server could not take the message; send it again")
	}
	if server.ReceiptRequested(ctx) {
		return messaging.Reject("%s: %s", r.code, r.msg)
	}
	return &messaging.Error{Code: r.code, Message: r.msg}
}
