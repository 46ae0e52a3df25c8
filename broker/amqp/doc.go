// Package amqp is a broker.Broker for many stompbox nodes on RabbitMQ,
// over AMQP 0-9-1 (github.com/rabbitmq/amqp091-go).
//
// Each node keeps its own subscribers in a local broker.Memory (STOMP
// sessions and SSE streams alike) and fans messages out to them there. The
// node tells RabbitMQ only what it needs: when a /topic/ destination gets
// its first local subscriber, the node binds its one queue to the topic
// exchange for it, and unbinds when the last one leaves. So a node holds
// one AMQP connection, one queue and one binding per destination however
// many sessions subscribe, and a message published on any node reaches the
// subscribers of every node:
//
//	b, err := amqp.New(ctx, amqp.Config{URL: "amqp://guest:guest@127.0.0.1:5672/"})
//	srv := server.New(server.Config{Broker: b, ...})
//
// A topic SEND is published to the exchange with a publisher confirm; its
// RECEIPT waits for the confirm. The node's own messages come back through
// its queue like everyone else's, so local subscribers see one order per
// publisher. The queue is exclusive to the connection (RabbitMQ 4.x accepts
// exclusive transient queues) and goes when the node does.
//
// Routing keys are the destination with "/" turned into "." ("/topic/rooms.
// lobby" travels as "topic.rooms.lobby"); the real destination rides in a
// header, and the local broker matches it exactly, so keys that collide
// ("/topic/a.b" and "/topic/a/b") or a pattern bound more widely than it
// matches ("/topic/rooms.*" binds "topic.rooms.#") cost bandwidth, never a
// wrong delivery. A destination longer than 200 bytes travels under a
// hashed key and reaches only exact subscribers on other nodes.
//
// Users: the node binds a key per user online on it (broker.UserRouter),
// so a message for a user goes once to each node where the user is, which
// delivers it to its own sessions; it is published mandatory, so RabbitMQ
// says when no node has the user.
//
// Queues: a /queue/ destination is a durable RabbitMQ queue that all
// nodes share, declared with the memory broker's limits (x-max-length,
// x-max-length-bytes, reject-publish, so a full queue refuses a SEND with
// ErrQueueFull). A SEND is published persistent and confirmed. A node with
// local subscribers to a queue consumes it once, with QueuePrefetch
// messages unacknowledged at most, and its local queue shares them among
// its subscribers by their own prefetch. Each message carries its AMQP
// delivery as its broker.Upstream: acknowledged to RabbitMQ when the STOMP
// client ACKs it (for ack:auto, once it is written), given back with
// basic.nack on a NACK or when its session ends; so the competing consumers
// of every node share the queue, and what a dead node held is redelivered
// to the others. A session's private queues (/queue/reply@SESSION) stay on
// their node.
//
// When RabbitMQ goes away the node keeps its sessions, reports itself
// unhealthy (Healthy), refuses topic and queue publishes with ErrUnavailable, and
// reconnects with backoff and jitter, then declares and binds everything
// again. Safe for concurrent use.
package amqp
