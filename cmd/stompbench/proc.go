package main

import (
	"syscall"
	"time"

	"github.com/stompbox/stompbox/internal/procstat"
)

// procUsage is a process's CPU time and resident memory at one moment.
type procUsage struct {
	cpu time.Duration
	rss int64
}

// readUsage reads process pid's CPU time and resident memory; pid 0 is
// this process.
func readUsage(pid int) (procUsage, error) {
	cpu, err := procstat.CPU(pid)
	if err != nil {
		return procUsage{}, err
	}
	rss, err := procstat.RSS(pid)
	if err != nil {
		return procUsage{}, err
	}
	return procUsage{cpu: cpu, rss: rss}, nil
}

// raiseFileLimit raises the soft limit on open files to the hard limit
// and returns the limit in force.
func raiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
			return 0, err
		}
	}
	return l.Cur, nil
}
