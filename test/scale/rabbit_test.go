package scale

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/stompbox/stompbox/internal/procstat"
)

// rabbitmqctl is the CLI beside rabbittest.Server; the wrapper in
// /usr/sbin would run it under su with the package's own node name.
const rabbitmqctl = "/usr/lib/rabbitmq/bin/rabbitmqctl"

// A beam is the Erlang VM running the test's RabbitMQ node: its pid (for
// CPU time), its node name and its HOME, where the node wrote the Erlang
// cookie rabbitmqctl must present.
type beam struct {
	pid        int
	node, home string
}

// findBeam finds the VM of rabbittest's node by the node name rabbittest
// gives it (stompbox-test-PID@localhost, PID being this process's), in
// the environment of the processes in /proc.
func findBeam() (beam, error) {
	want := fmt.Sprintf("RABBITMQ_NODENAME=stompbox-test-%d@localhost", os.Getpid())
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		exe, _ := os.Readlink(d + "/exe")
		if !strings.HasSuffix(exe, "/beam.smp") {
			continue
		}
		env, err := os.ReadFile(d + "/environ")
		if err != nil {
			continue
		}
		b := beam{}
		for _, kv := range bytes.Split(env, []byte{0}) {
			switch s := string(kv); {
			case s == want:
				b.node = strings.TrimPrefix(s, "RABBITMQ_NODENAME=")
			case strings.HasPrefix(s, "HOME="):
				b.home = strings.TrimPrefix(s, "HOME=")
			}
		}
		if b.node != "" {
			b.pid, _ = strconv.Atoi(filepath.Base(d))
			return b, nil
		}
	}
	return beam{}, fmt.Errorf("scale: no beam.smp with %s", want)
}

// cpu is the CPU time RabbitMQ's VM has used so far (0 when not found).
func rabbitCPU() time.Duration {
	b, err := findBeam()
	if err != nil {
		return 0
	}
	d, _ := procstat.CPU(b.pid)
	return d
}

// ctl runs rabbitmqctl -q against the test's node, as the user RabbitMQ
// runs as (rabbitmq when the test runs as root, as rabbittest does), and
// returns its output lines.
func ctl(args ...string) ([]string, error) {
	b, err := findBeam()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(rabbitmqctl, append([]string{"-q", "-n", b.node}, args...)...)
	cmd.Dir = b.home
	cmd.Env = append(os.Environ(), "HOME="+b.home)
	if os.Geteuid() == 0 {
		u, err := user.Lookup("rabbitmq")
		if err != nil {
			return nil, err
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("rabbitmqctl %s: %v: %s", strings.Join(args, " "), err, out)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// rabbitVersion is the RabbitMQ version, or "?".
func rabbitVersion() string {
	lines, err := ctl("version")
	if err != nil || len(lines) == 0 {
		return "?"
	}
	return lines[len(lines)-1]
}
