// Package broker defines the message broker contract that the STOMP server
// publishes to and subscribes through, and an in-memory implementation.
//
// A [Broker] routes a published [Message] to the [Subscription]s of its
// destination. Destinations under /topic/ fan out to every subscriber, in
// publish order per publisher; destinations under /queue/ go to one
// subscriber each, round-robin (competing consumers). The broker never
// touches a socket: it hands each message to a [Subscriber], which must not
// block (a STOMP session enqueues it and lets its own writer send it).
//
// A Message encodes its shared part once per protocol version ([Message.Encoded]);
// every subscriber's MESSAGE frame is that same byte slice behind a few
// per-subscription header lines.
//
// Everything in this package is safe for concurrent use. Other brokers (a
// relay to RabbitMQ) implement the same interface in their own packages.
package broker
