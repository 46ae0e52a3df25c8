// Package scale measures stompbox on RabbitMQ, for issue 9: each test
// starts the real bin/stompbox (one node or two) and a RabbitMQ of its own
// (internal/rabbittest) on loopback, and drives them with plain STOMP over
// TCP.
//
//   - TestScaleDeliveries runs one load (topics, subscribers per topic,
//     publishers with a closed window of receipted SENDs) on one node with
//     the in-memory broker, on one node with -broker amqp://..., and on two
//     nodes sharing the RabbitMQ with subscribers and publishers split
//     between them. It counts deliveries at the subscribers by publisher
//     and sequence number, fails if a receipted message is lost or
//     duplicated, and reports messages/s, deliveries/s and the CPU seconds
//     of each node, of RabbitMQ, of the load client and of whatever else
//     ran on the machine meanwhile.
//   - TestScaleBrokerConnections connects 5,000 clients to two nodes, each
//     in a room topic and on a user destination, and asks rabbitmqctl how
//     many connections, channels and bindings the nodes hold: one
//     connection per node, and one binding per destination in use on the
//     node and per user online on it.
//
// Only counts are asserted; speeds are reported, not checked, since the
// load client, the nodes and RabbitMQ share one machine. It runs only when
// STOMPBOX_SCALE=1; SCALE_SECONDS sets how long each load runs (default
// 10). Results go to test-results/scale.md and to the test log.
package scale
