// Command stompbench is a load generator for STOMP servers over WebSocket
// (ws://host:port/path) and TCP (tcp://host:port): stompbox, the
// reference server (cmd/refserver), or any other.
//
// It opens -subs subscriber and -pubs publisher connections spread over
// -rooms topics, waits until every subscription is receipted, then
// publishes for -duration, either open loop at -rate messages a second
// per publisher, or closed loop with -window messages outstanding per
// publisher. In a closed loop a publisher subscribes to its own room as
// well, and a message stops being outstanding when it comes back there:
// that measures delivery, which a RECEIPT for the SEND would not (a
// server may receipt before it has written to a single subscriber). Its
// deliveries count with the subscribers'.
//
// Every body is JSON carrying the publisher, its sequence number and its
// send time on stompbench's monotonic clock, so each receiving
// connection records publish-to-deliver latency in an HDR histogram
// (github.com/HdrHistogram/hdrhistogram-go) and counts, per publisher,
// what it lost (a sequence number that had not come when, after
// publishing stopped, nothing more arrived for -drain) and what it got twice (or out of order). At -rate a
// message is stamped with the time it was due, not when it went out, so
// a publisher that falls behind shows as latency instead of hiding it.
//
// With -heartbeat D every connection offers heart-beats every D both ways
// in its CONNECT, as @stomp/stompjs does with 10 s, and sends its own at
// the interval the server agrees to (one goroutine sends them all); the
// idle load of make bench-compare uses 10 s.
//
// With -pid it reads the server's /proc/PID/stat and status before
// connecting, once connected, and around the publishing: server CPU per
// delivery and resident memory per connection. It reports its own CPU per
// delivery and share of a core too, so a run shows whether stompbench
// itself was the limit.
//
// Memory per connection is kept small so that one process holds 20,000:
// one goroutine per connection, which reads; a frame.Reader's 4 KiB
// buffer, with WebSocket headers stripped in it (bench/wsconn); writes
// framed into a small per-connection buffer under a mutex. Publishers in
// a closed loop send from their reading goroutine, all SENDs called for
// by what one read brought in one write. At start the soft limit on open
// files is raised to the hard one.
//
// A progress line goes to stderr every second; the report goes to stdout
// as a table, or JSON with -json. The exit status is 0 for a clean run,
// 1 if anything was lost, duplicated or refused (ERROR frames, socket
// errors, failed connections), 2 for bad flags. Run "stompbench -h" for
// the flags.
package main
