package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/stompbox/stompbox/broker"
	"github.com/stompbox/stompbox/broker/amqp"
)

// nodeBroker is the broker the command runs: the in-memory one, or one on
// RabbitMQ for many nodes.
type nodeBroker struct {
	broker.Broker
	memory *broker.Memory
	rabbit *amqp.Broker // nil for the in-memory broker
}

// openBroker opens what -broker names: empty for the in-memory broker, or
// an amqp:// URL.
func openBroker(ctx context.Context, o *options, log *slog.Logger) (*nodeBroker, error) {
	local := broker.NewMemoryConfig(o.broker)
	switch {
	case o.brokerURL == "":
		return &nodeBroker{Broker: local, memory: local}, nil
	case strings.HasPrefix(o.brokerURL, "amqp://"), strings.HasPrefix(o.brokerURL, "amqps://"):
		b, err := amqp.New(ctx, amqp.Config{
			URL: o.brokerURL, Local: local, Logger: log,
			QueuePrefetch:  o.stomp.Prefetch,
			QueueMaxLength: o.broker.MaxHeld, QueueMaxBytes: o.broker.MaxQueueBytes,
		})
		if err != nil {
			return nil, fmt.Errorf("-broker %s: %w", redact(o.brokerURL), err)
		}
		log.Info("broker", "kind", "rabbitmq", "url", redact(o.brokerURL))
		return &nodeBroker{Broker: b, memory: local, rabbit: b}, nil
	}
	return nil, fmt.Errorf("-broker %q: want empty (in memory) or an amqp:// URL", redact(o.brokerURL))
}

func (b *nodeBroker) healthy() bool { return b.rabbit == nil || b.rabbit.Healthy() }

func (b *nodeBroker) state() string {
	switch {
	case b.rabbit == nil:
		return "memory"
	case b.rabbit.Healthy():
		return "rabbitmq up"
	}
	return "rabbitmq down"
}

func (b *nodeBroker) stats() any {
	if b.rabbit != nil {
		return b.rabbit.Stats()
	}
	return b.memory.Stats()
}

func (b *nodeBroker) Close() error {
	if b.rabbit != nil {
		return b.rabbit.Close()
	}
	return nil
}

// The node broker keeps the optional capabilities of what it wraps.
var (
	_ broker.Resumer  = (*amqp.Broker)(nil)
	_ broker.Requeuer = (*amqp.Broker)(nil)
	_ broker.Batcher  = (*amqp.Broker)(nil)
)
