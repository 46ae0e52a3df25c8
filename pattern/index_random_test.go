package pattern

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// randomPattern builds a pattern from a small alphabet, so that patterns and
// destinations collide often.
func randomPattern(r *rand.Rand) string {
	n := 1 + r.IntN(4)
	segs := make([]string, 0, n)
	double := false
	for range n {
		switch k := r.IntN(10); {
		case k < 4:
			segs = append(segs, []string{"a", "b", "ab", "a.b", ""}[r.IntN(5)])
		case k < 6:
			segs = append(segs, []string{"*", "a*", "*b", "a.*", "a*b"}[r.IntN(5)])
		case k < 8:
			segs = append(segs, []string{"{x}", "a{y}", "{z}b", "a.{w}"}[r.IntN(4)])
		default:
			if double {
				segs = append(segs, "a")
			} else {
				segs = append(segs, "**")
				double = true
			}
		}
	}
	return "/" + strings.Join(segs, "/")
}

func randomDest(r *rand.Rand) string {
	n := 1 + r.IntN(5)
	segs := make([]string, n)
	for i := range segs {
		segs[i] = []string{"a", "b", "ab", "a.b", "", "aab", "a.", "abb"}[r.IntN(8)]
	}
	return "/" + strings.Join(segs, "/")
}

// Index.Match yields exactly the entries whose pattern MatchSplit accepts,
// each once per Add, before and after removals.
func TestIndexAgreesWithMatchSplitRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var x Index[int]
	type entry struct {
		p *Pattern
		v int
	}
	var entries []entry
	for i := range 400 {
		p, err := Parse(randomPattern(r))
		for err != nil { // a variable name drawn twice
			p, err = Parse(randomPattern(r))
		}
		entries = append(entries, entry{p, i % 150}) // some values repeat
		x.Add(p, i%150)
	}
	check := func() {
		t.Helper()
		for range 2000 {
			segs, _ := Split(randomDest(r))
			var want, got []string
			for _, e := range entries {
				if e.p.MatchSplit(segs) {
					want = append(want, fmt.Sprint(e.p, "=", e.v))
				}
			}
			x.Match(segs, func(v int) bool {
				got = append(got, fmt.Sprint(v))
				return true
			})
			var wantVals []string
			for _, e := range entries {
				if e.p.MatchSplit(segs) {
					wantVals = append(wantVals, fmt.Sprint(e.v))
				}
			}
			slices.Sort(got)
			slices.Sort(wantVals)
			if !slices.Equal(got, wantVals) {
				t.Fatalf("%q: index yields %v, want %v (%v)", segs, got, wantVals, want)
			}
		}
	}
	check()
	for i := 0; i < len(entries); i += 2 {
		if !x.Remove(entries[i].p, entries[i].v) {
			t.Fatalf("Remove(%s, %d) found nothing", entries[i].p, entries[i].v)
		}
	}
	kept := entries[:0]
	for i, e := range entries {
		if i%2 == 1 {
			kept = append(kept, e)
		}
	}
	entries = kept
	if x.Len() != len(entries) {
		t.Fatalf("Len %d, want %d", x.Len(), len(entries))
	}
	check()
	for _, e := range entries {
		x.Remove(e.p, e.v)
	}
	if x.Len() != 0 || !x.root.empty() {
		t.Fatalf("after removing everything: Len %d, root %+v", x.Len(), x.root)
	}
	if x.Remove(MustParse("/a/*"), 1) {
		t.Fatal("removed an entry that was never added")
	}
}

// Match stops when yield returns false.
func TestIndexMatchStopsEarly(t *testing.T) {
	var x Index[string]
	for _, p := range []string{"/t/*", "/t/{x}", "/t/**", "/t/a"} {
		x.Add(MustParse(p), p)
	}
	segs, _ := Split("/t/a")
	n := 0
	x.Match(segs, func(string) bool { n++; return n < 2 })
	if n != 2 {
		t.Fatalf("yield called %d times after returning false", n)
	}
}
