// Package procstat reads what Linux's /proc says of a process's CPU time
// and resident memory, and of the machine's CPU time: for the tests that
// measure a running server (internal/proctest, test/scale) and for the
// load tools (cmd/stompbench, cmd/benchcompare).
package procstat
