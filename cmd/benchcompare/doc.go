// Command benchcompare runs the same loads against stompbox, the reference
// server (cmd/refserver) and RabbitMQ's Web-STOMP plugin, one server at a
// time, and writes what it measured to docs/benchmarks.md with two SVG
// charts beside it (docs/bench-throughput.svg, docs/bench-latency.svg).
// "make bench-compare" runs it.
//
// Every server listens on loopback only and is pinned to one core
// (taskset -c 0, -server-cpu); the load generator, bin/stompbench, is
// pinned to another (-client-cpu) and reads the server's CPU time and
// resident memory from /proc (stompbench -pid). The loads, with 100-byte
// JSON bodies over STOMP 1.2 on WebSocket, each on a single topic but the
// rooms load:
//
//   - idle: -idle-conns connections, each CONNECT and one SUBSCRIBE, held
//     for -duration; resident memory per connection;
//   - rate: -rate-subs subscribers, one publisher at -rate messages a
//     second; publish-to-deliver latency and server CPU per delivery;
//   - window: for each of -subs (10 to 10,000), that many subscribers and
//     one publisher with -window messages outstanding (a closed loop);
//     deliveries a second, latency and server CPU per delivery. These are
//     the charts; the largest count has rows of its own in the results;
//   - rooms: -rooms rooms of -room-members members each, every member
//     subscribed to its room and publishing to it with -rooms-window
//     messages outstanding (stompbench -subs 0 -pubs rooms×members).
//
// The servers compared are the kinds stompbox, refserver and rabbitmq
// (-servers). A load of more connections than a kind holds (RabbitMQ:
// 17,500 here) is not run against it, and the document says so; the idle
// load is instead cut down to what it holds.
//
// A fourth kind, parity, is bin/parity (examples/parity): the stompbox
// library with a Spring-parity application, whose @MessageMapping
// handler /app/echo/{room} relays a JSON body unchanged to
// /topic/echo.{room}. It runs only the closed window at -rate-subs
// subscribers and the rooms load, each twice: published straight to
// /topic/echo.{room}, then sent through /app/echo/{room} (stompbench
// -send-dest). The document shows the two side by side with their ratio,
// against the goal of at least half the direct deliveries a second
// through the handler; parity is not a column of the comparison.
//
// Each server is started afresh for the idle load and again for the
// others, so the memory of 19,000 closed connections does not weigh on
// the rest; parity once for all of its loads. Between loads it waits
// until the server's CPU is quiet.
//
// RabbitMQ is Debian's rabbitmq-server, a node of benchcompare's own: its
// data in a temporary directory, random loopback ports, the rabbitmq_stomp
// and rabbitmq_web_stomp plugins, started with "ulimit -n" raised and then
// setpriv to the rabbitmq user when run as root. stompbench logs in as
// guest, which RabbitMQ allows over loopback.
//
// It needs bin/stompbox, bin/parity, bin/refserver and bin/stompbench
// (make build builds them, the bench-compare target all but stompbox). Run "benchcompare -h" for the
// flags.
package main
