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
// A queue hands each subscriber only what it has room for: a Subscriber
// refuses a delivery it cannot take (Deliver returns false), the broker
// offers the message to the next subscriber or holds it, in order, and the
// subscriber calls [Resumer.Resume] once it has room. Messages given back
// ([Requeuer]) go ahead of newer ones in their original order. Everything
// the memory broker holds is bounded by [MemoryConfig]: messages and bytes
// per queue, bytes in all, destinations, pattern subscriptions; a publish
// past a budget fails with an error naming it, and nothing is kept.
// [Batcher] publishes several messages all or nothing (a transaction's
// COMMIT). Pattern subscriptions are indexed by segment ([pattern.Index]).
//
// A Message encodes its shared part once per protocol version ([Message.Encoded]);
// every subscriber's MESSAGE frame is that same byte slice behind a few
// per-subscription header lines.
//
// Everything in this package is safe for concurrent use. Lock order: a
// destination's lock, then the broker's map lock; Subscribers are called
// with destination locks held and must not call back into the broker. Other brokers (a
// relay to RabbitMQ) implement the same interface in their own packages.
package broker
