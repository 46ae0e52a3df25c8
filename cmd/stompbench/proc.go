package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is USER_HZ, the unit of /proc/PID/stat's times: 100 on Linux.
const clockTick = 100

// procUsage is a process's CPU time and resident memory at one moment.
type procUsage struct {
	cpu time.Duration
	rss int64
}

// readUsage reads /proc/PID/stat and /proc/PID/status; pid 0 is this
// process.
func readUsage(pid int) (procUsage, error) {
	p := "self"
	if pid > 0 {
		p = strconv.Itoa(pid)
	}
	b, err := os.ReadFile("/proc/" + p + "/stat")
	if err != nil {
		return procUsage{}, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return procUsage{}, fmt.Errorf("/proc/%s/stat: %d fields", p, len(f))
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return procUsage{}, fmt.Errorf("/proc/%s/stat: %w", p, err)
	}
	u := procUsage{cpu: time.Duration(ut+st) * time.Second / clockTick}
	b, err = os.ReadFile("/proc/" + p + "/status")
	if err != nil {
		return procUsage{}, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return procUsage{}, fmt.Errorf("/proc/%s/status: %w", p, err)
			}
			u.rss = kb << 10
		}
	}
	return u, nil
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
