package chat

import (
	"testing"
	"time"
)

// A burst of 20 goes through, the 21st waits for the refill of 5 a second.
func TestBucket(t *testing.T) {
	var b bucket
	t0 := time.Unix(1000, 0)
	for i := range 20 {
		if !b.take(t0, 5, 20) {
			t.Fatalf("token %d of the burst refused", i+1)
		}
	}
	if b.take(t0, 5, 20) {
		t.Fatal("the 21st token at once was given")
	}
	if b.take(t0.Add(100*time.Millisecond), 5, 20) {
		t.Fatal("a token after 100 ms at 5/s was given")
	}
	if !b.take(t0.Add(300*time.Millisecond), 5, 20) {
		t.Fatal("no token after 300 ms at 5/s")
	}
	// A long pause refills to the burst, not beyond.
	t1 := t0.Add(time.Hour)
	n := 0
	for b.take(t1, 5, 20) {
		n++
	}
	if n != 20 {
		t.Fatalf("after an hour %d tokens, want the burst of 20", n)
	}
}
