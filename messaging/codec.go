package messaging

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/stompbox/stompbox/frame"
)

// Content types the codec writes.
const (
	ContentTypeJSON  = "application/json"
	ContentTypeText  = "text/plain;charset=utf-8"
	ContentTypeOctet = "application/octet-stream"
)

// encode turns v into a body and its content type: []byte and string as they
// are, anything else as JSON.
func encode(v any) ([]byte, string, error) {
	switch x := v.(type) {
	case []byte:
		return x, ContentTypeOctet, nil
	case string:
		return []byte(x), ContentTypeText, nil
	case json.RawMessage:
		return x, ContentTypeJSON, nil
	}
	// Not HTML-escaped: a STOMP body is not HTML, and "<" as \u003c would
	// make a line of angle brackets six times its size.
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, "", fmt.Errorf("messaging: encode %T: %w", v, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), ContentTypeJSON, nil
}

// decode fills *v from body: []byte and string take it as it is, anything
// else is JSON.
func decode[T any](body []byte, v *T) error {
	switch p := any(v).(type) {
	case *[]byte:
		*p = body
		return nil
	case *string:
		*p = string(body)
		return nil
	}
	return json.Unmarshal(body, v)
}

// header returns a message header carrying a content type, then what the
// options add.
func header(contentType string, opts []PublishOption) frame.Header {
	var h frame.Header
	h.Add(frame.HdrContentType, contentType)
	for _, o := range opts {
		o(&h)
	}
	return h
}
