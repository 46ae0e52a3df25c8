package frame

import (
	"strings"
	"testing"
)

func TestTruncate(t *testing.T) {
	if got := Truncate("/topic/a"); got != "/topic/a" {
		t.Fatalf("short text changed: %q", got)
	}
	long := strings.Repeat("x", 500)
	if got := Truncate(long); got != long[:MaxQuoted]+"..." {
		t.Fatalf("long text: %d bytes", len(got))
	}
}
