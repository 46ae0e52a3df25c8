package postgres

import (
	"context"
	"os"
	"testing"

	"github.com/stompbox/stompbox/internal/pgtest"
)

// The tests run against a PostgreSQL cluster of their own (internal/pgtest),
// one database per test. Without PostgreSQL's binaries they skip, unless
// STOMPBOX_REQUIRE_POSTGRES is set (make test sets it).
var (
	cluster    *pgtest.Cluster
	skipReason string
)

func TestMain(m *testing.M) {
	var err error
	if cluster, err = pgtest.Start(); err != nil {
		skipReason = err.Error()
	}
	code := m.Run()
	if cluster != nil {
		cluster.Close()
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
	url, err := cluster.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return url
}
