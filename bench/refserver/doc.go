// Package refserver is the reference STOMP server of the benchmark suite:
// the floor stompbox is measured against. It speaks just enough STOMP
// over WebSocket and over TCP for stompbench (CONNECT or STOMP and
// CONNECTED, SUBSCRIBE, UNSUBSCRIBE, SEND, MESSAGE, RECEIPT, DISCONNECT)
// and delivers the simplest possible way: the publisher's own goroutine
// writes each MESSAGE straight to each subscriber's socket, one write
// system call per delivery, with no queue and no batching.
//
// What it does not do, on purpose, so that it stays the floor:
//   - no queues, no slow-consumer cut: a subscriber that does not read
//     stalls every publisher to its topic (a write deadline of 10 s then
//     closes it);
//   - no /queue semantics, ACK, NACK, transactions, heart-beats (CONNECTED
//     says 0,0), patterns, user destinations, authentication (login and
//     passcode are ignored) or limits beyond frame.Reader's defaults;
//   - no coalescing of writes: that would make it faster than "one direct
//     write per delivery", the baseline the issue asks for;
//   - header escaping of MESSAGE frames is STOMP 1.2's for every session.
//
// Frames it does not support get an ERROR frame and the connection is
// closed. A Server is safe for concurrent use.
package refserver
