package main

import "testing"

func TestTracker(t *testing.T) {
	tr := newTracker(2)
	for _, m := range []struct {
		pub int
		seq uint64
	}{{0, 1}, {0, 2}, {1, 1}, {0, 4}, {0, 4}, {0, 3}, {1, 2}, {2, 1}, {0, 0}} {
		tr.see(m.pub, m.seq)
	}
	// 0: 1 2 4 (3 lost, then late), 4 again; 1: 1 2; publisher 2 and seq 0 are not of this room.
	if tr.unique != 5 || tr.dups != 2 || tr.alien != 2 {
		t.Fatalf("unique %d dups %d alien %d, want 5 2 2", tr.unique, tr.dups, tr.alien)
	}
}

func TestBody(t *testing.T) {
	for _, size := range []int{0, 10, 100, 1000} {
		b := appendBody(nil, 12, 345, 6789, size)
		if len(b) < size || (size >= 40 && len(b) != size) {
			t.Errorf("size %d: %d bytes %s", size, len(b), b)
		}
		p, s, ts, ok := parseBody(b)
		if !ok || p != 12 || s != 345 || ts != 6789 {
			t.Errorf("size %d: parsed %d %d %d %v from %s", size, p, s, ts, ok, b)
		}
	}
	if _, _, _, ok := parseBody([]byte(`{"text":"hi"}`)); ok {
		t.Error("parsed a foreign body")
	}
}
