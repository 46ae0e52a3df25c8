// Command refserver runs the reference STOMP server of the benchmark suite
// (package bench/refserver): the minimal server, one direct write per
// delivery, that stompbench compares stompbox against.
//
// Usage:
//
//	refserver [-addr 127.0.0.1:8090] [-stomp-addr 127.0.0.1:61613]
//
// It logs a "listening" line with the address of each listener, so
// scripts and tests can start it on port 0. SIGINT or SIGTERM closes every
// connection and exits 0.
package main
