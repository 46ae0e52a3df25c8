package frame

import "errors"

// Decoding errors. The Reader wraps them with detail; match with errors.Is.
// After any of them the stream is out of step and the connection should be
// closed.
var (
	ErrUnknownCommand   = errors.New("frame: unknown command")
	ErrLineTooLong      = errors.New("frame: header line too long")
	ErrTooManyHeaders   = errors.New("frame: too many headers")
	ErrBodyTooLarge     = errors.New("frame: body too large")
	ErrBadContentLength = errors.New("frame: invalid content-length")
	ErrMissingNUL       = errors.New("frame: body not followed by NUL")
	ErrMalformedHeader  = errors.New("frame: header line without ':'")
	ErrBadEscape        = errors.New("frame: undefined escape sequence in header")
	// ErrNULInHeader is a NUL byte in a header line: STOMP cannot escape
	// it, and clients that split frames on NUL would cut a frame that
	// carried it short.
	ErrNULInHeader = errors.New("frame: NUL in header")
)

// IsLimit reports whether err is a decoding error caused by a size limit.
func IsLimit(err error) bool {
	return errors.Is(err, ErrLineTooLong) || errors.Is(err, ErrTooManyHeaders) || errors.Is(err, ErrBodyTooLarge)
}
