// Command benchcompare runs the same loads against stompbox, the reference
// server (cmd/refserver) and RabbitMQ's Web-STOMP plugin, one server at a
// time, and writes what it measured to docs/benchmarks.md with two SVG
// charts beside it (docs/bench-throughput.svg, docs/bench-latency.svg).
// "make bench-compare" runs it.
//
// Every server listens on loopback only and is pinned to one core
// (taskset -c 0, -server-cpu); the load generator, bin/stompbench, is
// pinned to another (-client-cpu) and reads the server's CPU time and
// resident memory from /proc (stompbench -pid). The loads, each on a
// single topic with 100-byte JSON bodies over STOMP 1.2 on WebSocket:
//
//   - idle: -idle-conns connections, each CONNECT and one SUBSCRIBE, held
//     for -duration; resident memory per connection;
//   - rate: -rate-subs subscribers, one publisher at -rate messages a
//     second; publish-to-deliver latency and server CPU per delivery;
//   - window: for each of -subs, that many subscribers and one publisher
//     with -window messages outstanding (a closed loop); deliveries a
//     second, latency and server CPU per delivery. These are the charts.
//
// Each server is started afresh for the idle load and again for the
// others, so the memory of 19,000 closed connections does not weigh on
// the rest. Between loads it waits until the server's CPU is quiet.
//
// RabbitMQ is Debian's rabbitmq-server, a node of benchcompare's own: its
// data in a temporary directory, random loopback ports, the rabbitmq_stomp
// and rabbitmq_web_stomp plugins, started with "ulimit -n" raised and then
// setpriv to the rabbitmq user when run as root. stompbench logs in as
// guest, which RabbitMQ allows over loopback.
//
// It needs bin/stompbox, bin/refserver and bin/stompbench (make build and
// the bench-compare target build them). Run "benchcompare -h" for the
// flags.
package main
