package postgres

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

// The tests run against a PostgreSQL cluster of their own: initdb in a
// temporary directory, a postmaster on a free loopback port (fsync off),
// one database per test. As root, the cluster runs as the postgres user
// (PostgreSQL refuses root). Without PostgreSQL's binaries the tests skip,
// unless STOMPBOX_REQUIRE_POSTGRES is set (make test sets it).
var (
	adminURL   string // the cluster's postgres database
	skipReason string
	dbSeq      atomic.Int64
)

func TestMain(m *testing.M) {
	stop, err := startCluster()
	if err != nil {
		skipReason = err.Error()
	}
	code := m.Run()
	if stop != nil {
		stop()
	}
	os.Exit(code)
}

// newDatabase returns the URL of a new, empty database.
func newDatabase(t testing.TB) string {
	t.Helper()
	if skipReason != "" {
		if os.Getenv("STOMPBOX_REQUIRE_POSTGRES") != "" {
			t.Fatalf("PostgreSQL is required (STOMPBOX_REQUIRE_POSTGRES): %s", skipReason)
		}
		t.Skipf("no PostgreSQL: %s (make deps installs it)", skipReason)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("t%d", dbSeq.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s/%s?sslmode=disable", baseURL, name)
}

var baseURL string // postgres://postgres@127.0.0.1:PORT

func startCluster() (stop func(), err error) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		return nil, fmt.Errorf("initdb not found under /usr/lib/postgresql")
	}
	sort.Strings(bins)
	bin := filepath.Dir(bins[len(bins)-1])
	dir, err := os.MkdirTemp("", "stompbox-pg-")
	if err != nil {
		return nil, err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root and no postgres user to run the cluster as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	run := func(name string, args ...string) error {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", name, err, out)
		}
		return nil
	}
	data := filepath.Join(dir, "data")
	if err := run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	opts := fmt.Sprintf("-k %s -h 127.0.0.1 -p %d -F -c max_connections=200", dir, port)
	if err := run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "start"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	baseURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d", port)
	adminURL = baseURL + "/postgres?sslmode=disable"
	return func() {
		run("pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	}, nil
}
