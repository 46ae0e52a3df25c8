package pattern

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// matches returns what x.Match yields for dest, sorted.
func matches(x *Index[int], dest string) []int {
	segs, ok := Split(dest)
	if !ok {
		return nil
	}
	var got []int
	x.Match(segs, func(v int) bool {
		got = append(got, v)
		return true
	})
	slices.Sort(got)
	return got
}

func TestIndex(t *testing.T) {
	var x Index[int]
	pats := []string{
		"/topic/chat",         // 0
		"/topic/*",            // 1
		"/topic/rooms.*",      // 2
		"/topic/rooms.{room}", // 3
		"/topic/*.log",        // 4
		"/topic/**",           // 5
		"/**/chat",            // 6
		"/topic/**/z",         // 7
		"/{a}/{b}",            // 8
		"/",                   // 9
	}
	for i, s := range pats {
		x.Add(MustParse(s), i)
	}
	cases := []struct {
		dest string
		want []int
	}{
		{"/topic/chat", []int{0, 1, 5, 6, 8}},
		{"/topic/rooms.", []int{1, 2, 5, 8}},
		{"/topic/rooms.lobby", []int{1, 2, 3, 5, 8}},
		{"/topic/app.log", []int{1, 4, 5, 8}},
		{"/topic", []int{5}},
		{"/topic/z", []int{1, 5, 7, 8}},
		{"/topic/a/b/z", []int{5, 7}},
		{"/chat", []int{6}},
		{"/x/y/chat", []int{6}},
		{"/", []int{9}},
		{"/topic/", []int{1, 5}},
		{"topic/chat", nil},
	}
	for _, c := range cases {
		if got := matches(&x, c.dest); !slices.Equal(got, c.want) {
			t.Errorf("Match(%q) = %v, want %v", c.dest, got, c.want)
		}
	}
	if x.Len() != len(pats) {
		t.Fatalf("Len = %d, want %d", x.Len(), len(pats))
	}
}

func TestIndexRemove(t *testing.T) {
	var x Index[string]
	a, b := MustParse("/rooms/{a}"), MustParse("/rooms/{b}")
	x.Add(a, "s1")
	x.Add(a, "s1")
	x.Add(a, "s2")
	if x.Remove(b, "s1") {
		t.Error("Remove of /rooms/{b} took a pair added as /rooms/{a}")
	}
	if x.Remove(a, "s3") {
		t.Error("Remove of a value never added")
	}
	for _, v := range []string{"s1", "s2", "s1"} {
		if !x.Remove(a, v) {
			t.Fatalf("Remove(%s, %s) = false", a, v)
		}
	}
	if x.Remove(a, "s1") {
		t.Error("Remove of a pair removed already")
	}
	if x.Len() != 0 || !x.root.empty() {
		t.Errorf("not empty after removing everything: Len %d, root %+v", x.Len(), x.root)
	}
}

// Match stops when yield returns false, wherever in the trie it is.
func TestIndexMatchStops(t *testing.T) {
	var x Index[int]
	for i, s := range []string{"/a/b", "/a/*", "/a/{v}", "/**", "/a/**", "/**/b", "/*/b"} {
		x.Add(MustParse(s), i)
		x.Add(MustParse(s), i)
	}
	segs, _ := Split("/a/b")
	for stop := 1; stop <= 14; stop++ {
		calls := 0
		x.Match(segs, func(int) bool {
			calls++
			return calls < stop
		})
		if calls != stop {
			t.Errorf("yield returning false at call %d: %d calls", stop, calls)
		}
	}
}

// Variables of many names under one prefix and suffix are one shape: a
// segment that matches none of them costs one lookup, not one per name.
func TestIndexNamesShareShape(t *testing.T) {
	var x Index[int]
	for i := range 100 {
		x.Add(MustParse(fmt.Sprintf("/topic/zz{v%d}", i)), i)
	}
	if got := matches(&x, "/topic/zzq"); len(got) != 100 {
		t.Fatalf("%d matches, want 100", len(got))
	}
	topic := x.root.lit["topic"]
	if len(topic.shapes) != 1 {
		t.Fatalf("%d shapes, want 1: %+v", len(topic.shapes), topic.shapes)
	}
}

// A bag past bagMax values turns into a map of counts; repeats and removal
// must survive the switch both ways.
func TestIndexManyValues(t *testing.T) {
	var x Index[int]
	p := MustParse("/topic/**")
	const n = 3 * bagMax
	for i := range n {
		x.Add(p, i%(n/2)) // every value twice
	}
	got := matches(&x, "/topic/x")
	if len(got) != n || got[0] != 0 || got[1] != 0 || got[n-1] != n/2-1 {
		t.Fatalf("Match = %v", got)
	}
	for i := range n {
		if !x.Remove(p, i%(n/2)) {
			t.Fatalf("Remove %d", i)
		}
	}
	if !x.root.empty() {
		t.Fatal("root not empty")
	}
}

// Churn of unique patterns leaves nothing behind: every node a pair made
// alone goes with it.
func TestIndexPrunes(t *testing.T) {
	var x Index[int]
	for _, s := range []string{"/topic/rooms.*", "/topic/**", "/topic/user.1/{x}"} {
		x.Add(MustParse(s), 0)
	}
	before := x.root.count()
	for i := range 1000 {
		p := MustParse(fmt.Sprintf("/topic/rooms.%d.*/x%d/**/{v}.%d/y", i, i, i))
		x.Add(p, i)
		if x.root.count() <= before {
			t.Fatal("Add made no node")
		}
		x.Remove(p, i)
		if got := x.root.count(); got != before {
			t.Fatalf("after churn of %s: %d nodes, want %d", p, got, before)
		}
	}
}

// count returns the nodes and shapes at or under n.
func (n *node[V]) count() int {
	c := 1 + len(n.shapes)
	for _, k := range n.lit {
		c += k.count()
	}
	for _, cs := range n.wild {
		for _, k := range cs {
			c += k.next.count()
		}
	}
	if n.rest != nil {
		c += n.rest.count()
	}
	return c
}

// TestIndexProperty checks Index.Match against MatchSplit on every pair, for
// random patterns and destinations over a small alphabet (so that they
// often match), under random Adds and Removes with repeats.
func TestIndexProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	patSegs := []string{"a", "b", "ab", "", "*", "a*", "*b", "a*b", "b*", "ab*", "{x}", "{y}", "a{x}", "{x}b", "a{y}b", "ab{x}"}
	destSegs := []string{"a", "b", "ab", "ba", "", "aab", "abb", "abab"}
	randPattern := func() *Pattern {
		for {
			n := 1 + rng.IntN(4)
			segs := make([]string, n)
			for i := range segs {
				segs[i] = patSegs[rng.IntN(len(patSegs))]
			}
			if rng.IntN(3) == 0 {
				segs[rng.IntN(n)] = "**"
			}
			if p, err := Parse("/" + strings.Join(segs, "/")); err == nil {
				return p // not a variable twice
			}
		}
	}
	randDest := func() []string {
		segs := make([]string, 1+rng.IntN(6))
		for i := range segs {
			segs[i] = destSegs[rng.IntN(len(destSegs))]
		}
		return segs
	}
	type pair struct {
		p *Pattern
		v int
	}
	for round := range 50 {
		var x Index[int]
		var live []pair // the index's pairs, repeats kept
		var pool []*Pattern
		for range 40 {
			pool = append(pool, randPattern())
		}
		for op := range 400 {
			pi := rng.IntN(len(pool))
			switch p := pool[pi]; {
			case rng.IntN(3) > 0 || len(live) == 0:
				// A value names its pattern's place in pool, so that
				// Match's result is checked pair by pair; few values
				// per pattern, so that a pair is often added twice.
				v := pi*4 + rng.IntN(4)
				x.Add(p, v)
				live = append(live, pair{p, v})
			case rng.IntN(2) == 0:
				i := rng.IntN(len(live))
				// Another *Pattern with the same text must remove it.
				if !x.Remove(MustParse(live[i].p.String()), live[i].v) {
					t.Fatalf("round %d op %d: Remove(%s, %d) of a live pair = false", round, op, live[i].p, live[i].v)
				}
				live = slices.Delete(live, i, i+1)
			default:
				// Often a value added under another pattern, which
				// may have the same segments under other names.
				v := rng.IntN(len(pool))*4 + rng.IntN(4)
				want := slices.ContainsFunc(live, func(q pair) bool { return q.p.String() == p.String() && q.v == v })
				if got := x.Remove(p, v); got != want {
					t.Fatalf("round %d op %d: Remove(%s, %d) = %v, want %v", round, op, p, v, got, want)
				}
				if want {
					i := slices.IndexFunc(live, func(q pair) bool { return q.p.String() == p.String() && q.v == v })
					live = slices.Delete(live, i, i+1)
				}
			}
			if x.Len() != len(live) {
				t.Fatalf("round %d op %d: Len = %d, want %d", round, op, x.Len(), len(live))
			}
			if op%20 != 0 {
				continue
			}
			for range 10 {
				segs := randDest()
				want := map[int]int{}
				for _, q := range live {
					if q.p.MatchSplit(segs) {
						want[q.v]++
					}
				}
				got := map[int]int{}
				x.Match(segs, func(v int) bool {
					got[v]++
					return true
				})
				if fmt.Sprint(got) != fmt.Sprint(want) {
					var ms []string
					for _, q := range live {
						if q.p.MatchSplit(segs) {
							ms = append(ms, fmt.Sprintf("%s=%d", q.p, q.v))
						}
					}
					t.Fatalf("round %d op %d: Match(/%s) yields %v, want %v from %v", round, op, strings.Join(segs, "/"), got, want, ms)
				}
			}
		}
		for len(live) > 0 {
			q := live[len(live)-1]
			live = live[:len(live)-1]
			if !x.Remove(q.p, q.v) {
				t.Fatalf("round %d: final Remove(%s, %d) = false", round, q.p, q.v)
			}
		}
		if x.Len() != 0 || !x.root.empty() {
			t.Fatalf("round %d: not empty after removing every pair", round)
		}
	}
}

// indexSizes are the pattern counts the benchmarks run at: what a
// publish costs should not follow them.
var indexSizes = []int{10, 1_000, 10_000, 100_000}

// benchPatterns returns n patterns of the shapes subscriptions take: a
// few /topic/**, then /topic/rooms.<i>.* and /topic/user.<i>/{x}.
func benchPatterns(n int) []*Pattern {
	ps := make([]*Pattern, n)
	for i := range ps {
		switch {
		case i < 3:
			ps[i] = MustParse("/topic/**")
		case i%2 == 0:
			ps[i] = MustParse(fmt.Sprintf("/topic/rooms.%d.*", i))
		default:
			ps[i] = MustParse(fmt.Sprintf("/topic/user.%d/{x}", i))
		}
	}
	return ps
}

// benchDests returns destinations that each match a handful (4) of
// benchPatterns(n), already split.
func benchDests(n int) [][]string {
	var ds [][]string
	for _, d := range []string{
		fmt.Sprintf("/topic/rooms.%d.lobby", n/2&^1),
		fmt.Sprintf("/topic/user.%d/inbox", n/2|1),
		fmt.Sprintf("/topic/rooms.%d.x", n-2),
		fmt.Sprintf("/topic/user.%d/y", n-1),
	} {
		segs, _ := Split(d)
		ds = append(ds, segs)
	}
	return ds
}

func BenchmarkIndexMatch(b *testing.B) {
	for _, n := range indexSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var x Index[int]
			for i, p := range benchPatterns(n) {
				x.Add(p, i)
			}
			dests := benchDests(n)
			matched, i := 0, 0
			for b.Loop() {
				x.Match(dests[i%len(dests)], func(int) bool {
					matched++
					return true
				})
				i++
			}
			if matched != 4*i {
				b.Fatalf("%d matches in %d calls, want 4 per call", matched, i)
			}
		})
	}
}

// BenchmarkScanMatch is what the broker did before Index: MatchSplit on
// every pattern.
func BenchmarkScanMatch(b *testing.B) {
	for _, n := range indexSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			ps := benchPatterns(n)
			dests := benchDests(n)
			matched, i := 0, 0
			for b.Loop() {
				for _, p := range ps {
					if p.MatchSplit(dests[i%len(dests)]) {
						matched++
					}
				}
				i++
			}
			if matched != 4*i {
				b.Fatalf("%d matches in %d calls, want 4 per call", matched, i)
			}
		})
	}
}

// BenchmarkIndexChurn adds a pattern no one else has and removes it, as a
// subscribe and unsubscribe do.
func BenchmarkIndexChurn(b *testing.B) {
	for _, n := range indexSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var x Index[int]
			for i, p := range benchPatterns(n) {
				x.Add(p, i)
			}
			var pool []*Pattern
			for _, p := range benchPatterns(1024 + n)[n:] {
				pool = append(pool, p)
			}
			i := 0
			for b.Loop() {
				p := pool[i%len(pool)]
				x.Add(p, -1)
				if !x.Remove(p, -1) {
					b.Fatal("Remove = false")
				}
				i++
			}
			if x.Len() != n {
				b.Fatalf("Len = %d, want %d", x.Len(), n)
			}
		})
	}
}
