package messaging

import (
	"context"
	"fmt"

	"github.com/stompbox/stompbox/broker"
)

// A Template publishes messages to broker destinations: the server talking
// first, from a timer, an HTTP handler or any goroutine. It is Spring's
// SimpMessagingTemplate.convertAndSend.
type Template struct {
	Broker broker.Broker
}

// Publish encodes v (JSON, or []byte and string as they are) and publishes
// it to destination, e.g. "/topic/notice". It returns once the broker has
// routed it.
func (t *Template) Publish(ctx context.Context, destination string, v any) error {
	body, ct, err := encode(v)
	if err != nil {
		return err
	}
	if err := t.Broker.Publish(ctx, broker.NewMessage(destination, header(ct), body)); err != nil {
		return fmt.Errorf("messaging: publish to %s: %w", destination, err)
	}
	return nil
}
