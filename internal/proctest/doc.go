// Package proctest runs a server binary for a test: Start runs it, reads
// its slog text log from stderr, and returns once the log has announced
// every listener the test waits for (a line such as
// msg="listening for STOMP over TCP" addr=127.0.0.1:40123). The test then
// reads the announced addresses with Addr, the process's CPU time and
// resident memory from /proc with CPU and RSS, and the last lines of its
// log with LogTail. CPU, RSS and MachineCPU read the same for any process
// and for the whole machine.
//
// When the test ends, the process is sent SIGTERM and must exit with
// status 0 within a grace period; otherwise the test fails. A failed test
// gets the log tail in its output.
//
// Bin finds the stompbox binary the suites under test/ run: $STOMPBOX_BIN,
// or bin/stompbox at the module root.
//
// A Proc's methods are safe for concurrent use.
package proctest
