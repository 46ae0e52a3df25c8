package limit

import (
	"testing"
	"time"
)

// A burst of 20 goes through, the 21st waits for the refill of 5 a second.
func TestBucket(t *testing.T) {
	var b Bucket
	t0 := time.Unix(1000, 0)
	for i := range 20 {
		if !b.Take(t0, 5, 20) {
			t.Fatalf("token %d of the burst refused", i+1)
		}
	}
	if b.Take(t0, 5, 20) {
		t.Fatal("the 21st token at once was given")
	}
	if b.Take(t0.Add(100*time.Millisecond), 5, 20) {
		t.Fatal("a token after 100 ms at 5/s was given")
	}
	if !b.Take(t0.Add(300*time.Millisecond), 5, 20) {
		t.Fatal("no token after 300 ms at 5/s")
	}
	// A long pause refills to the burst, not beyond.
	t1 := t0.Add(time.Hour)
	n := 0
	for b.Take(t1, 5, 20) {
		n++
	}
	if n != 20 {
		t.Fatalf("after an hour %d tokens, want the burst of 20", n)
	}
}

// A Rate keeps a bucket per key, and within MaxKeys forgets only full ones.
func TestRate(t *testing.T) {
	r := &Rate{Rate: 1, Burst: 2, MaxKeys: 2}
	t0 := time.Unix(1000, 0)
	if !r.Allow("a", t0) || !r.Allow("a", t0) || r.Allow("a", t0) {
		t.Fatal("a: a burst of 2, then refused")
	}
	if !r.Allow("b", t0) {
		t.Fatal("b has its own bucket")
	}
	if r.Allow("c", t0) {
		t.Fatal("a third key while a and b are spent: refused, not grown")
	}
	if !r.Allow("c", t0.Add(3*time.Second)) {
		t.Fatal("once a and b are full again they are forgotten and c gets a bucket")
	}
}

func TestAddrKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1:5000":            "192.0.2.1",
		"[2001:db8:1:2:3:4:5:6]:80": "2001:db8:1:2::",
		"[::ffff:192.0.2.1]:80":     "192.0.2.1",
		"pipe":                      "pipe",
	} {
		if got := AddrKey(in); got != want {
			t.Errorf("AddrKey(%q) = %q, want %q", in, got, want)
		}
	}
}
