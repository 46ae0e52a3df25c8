package main

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// machine describes where the run happened.
type machine struct {
	cpus    int
	model   string
	kernel  string
	memory  string
	goVer   string
	rabbit  string
	erlang  string
	date    time.Time
	took    time.Duration
	openMax string
	commit  string
	loadAvg string // /proc/loadavg's 1, 5 and 15 minute averages at the end
}

func machineInfo() machine {
	m := machine{cpus: runtime.NumCPU(), goVer: runtime.Version(), date: time.Now().UTC()}
	m.model = field(cmdOut("lscpu"), "Model name:")
	m.kernel = strings.TrimSpace(cmdOut("uname", "-sr"))
	if kb, err := strconv.ParseInt(strings.Fields(field(readFile("/proc/meminfo"), "MemTotal:") + " 0")[0], 10, 64); err == nil && kb > 0 {
		m.memory = strconv.FormatInt((kb+512*1024)>>20, 10) + " GiB"
	}
	m.rabbit = strings.TrimSpace(cmdOut("dpkg-query", "-W", "-f", "${Version}", "rabbitmq-server"))
	m.erlang = strings.TrimSpace(cmdOut("dpkg-query", "-W", "-f", "${Version}", "erlang-base"))
	m.openMax = strings.TrimSpace(cmdOut("bash", "-c", "ulimit -Hn"))
	m.commit = strings.TrimSpace(cmdOut("git", "describe", "--always", "--dirty"))
	if f := strings.Fields(readFile("/proc/loadavg")); len(f) >= 3 {
		m.loadAvg = strings.Join(f[:3], ", ")
	}
	if f := strings.Fields(readFile("/proc/loadavg")); len(f) >= 3 {
		m.loadAvg = strings.Join(f[:3], ", ")
	}
	return m
}

// field is the trimmed rest of the first line of text starting with key.
func field(text, key string) string {
	for line := range strings.SplitSeq(text, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), key); ok {
			return strings.TrimSpace(rest)
		}
	}
	return ""
}

func cmdOut(name string, args ...string) string {
	b, _ := exec.Command(name, args...).Output()
	return string(b)
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}
