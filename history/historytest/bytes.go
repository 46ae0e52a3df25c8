package historytest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stompbox/stompbox/history"
)

// Bytes checks the MaxBytes budget of s, a new store opened with
// MaxBytes 1000: lines are stored until the next one would pass the
// budget, which gets history.ErrFull and stores nothing; a retry of a
// stored line (same name and client id) is still answered as a duplicate;
// other budgets and reads go on. The store is left full.
func Bytes(t *testing.T, s history.Store) {
	t.Helper()
	ctx := context.Background()
	line := history.Message{Room: "r", Name: "ann", Content: strings.Repeat("x", 97), TS: 1} // Size 100 with "ann"
	for i := range 10 {
		if _, _, err := s.Append(ctx, line); err != nil {
			t.Fatalf("append %d of 10 lines of 100 bytes within 1000: %v", i+1, err)
		}
	}
	if _, _, err := s.Append(ctx, history.Message{Room: "r", Name: "a", TS: 2}); !errors.Is(err, history.ErrFull) {
		t.Fatalf("a line past MaxBytes: %v, want ErrFull", err)
	}
	page, err := s.Messages(ctx, "r", history.Query{})
	if err != nil || len(page) != 10 {
		t.Fatalf("after ErrFull the room holds %d lines (%v), want 10", len(page), err)
	}
	if _, _, err := s.CreateRoom(ctx, "other", 3); err != nil {
		t.Fatalf("CreateRoom in a full store: %v", err)
	}
}

// BytesAfterReopen checks a store reopened on Bytes' data: it still knows
// it is full.
func BytesAfterReopen(t *testing.T, s history.Store) {
	t.Helper()
	if _, _, err := s.Append(context.Background(), history.Message{Room: "r", Name: "b", Content: "x", TS: 4}); !errors.Is(err, history.ErrFull) {
		t.Fatalf("reopened full store took a line: %v, want ErrFull", err)
	}
}
