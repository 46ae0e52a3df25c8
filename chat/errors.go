package chat

import (
	"errors"

	"github.com/stompbox/stompbox/messaging"
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
// sender is told "internal error" and the log keeps the cause).
func forClient(err error) error {
	var r *refusal
	if errors.As(err, &r) {
		return &messaging.Error{Code: r.code, Message: r.msg}
	}
	return err
}
