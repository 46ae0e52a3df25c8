package pattern

import (
	"slices"
	"strings"
)

// An Index maps patterns to values and finds the values whose pattern
// matches a destination, at a cost that depends on what matches, not on how
// many patterns it holds: patterns share a trie keyed by segment. At each
// node, literal segments are found by one map lookup; segments with a * or
// a {variable} are grouped by their literal prefix, and only the groups
// whose prefix the destination's segment starts with are looked at; a **
// tries each remaining suffix of the destination against the rest.
//
// The zero value is empty and ready to use. An Index is not safe for
// concurrent use: the caller locks.
type Index[V comparable] struct {
	root node[V]
	n    int
}

type node[V comparable] struct {
	lit    map[string]*node[V]
	wild   map[string][]*wildEdge[V] // by literal prefix
	lens   []int                     // the distinct prefix lengths in wild, ascending
	double *node[V]                  // the rest of patterns after a **
	vals   []V                       // values of patterns that end here
}

// A wildEdge is a * or {variable} segment with its literal prefix and
// suffix; patterns whose segment has the same shape share it.
type wildEdge[V comparable] struct {
	seg  segment
	next *node[V]
}

// Len returns how many entries the index holds.
func (x *Index[V]) Len() int { return x.n }

// Add adds the entry (p, v). Adding the same pair twice makes two entries.
func (x *Index[V]) Add(p *Pattern, v V) {
	n := &x.root
	for _, s := range p.segs {
		n = n.child(s, true)
	}
	n.vals = append(n.vals, v)
	x.n++
}

// Remove removes one entry (p, v) added before and reports whether there
// was one. Nodes left empty are pruned, so adding and removing patterns
// forever does not grow the index.
func (x *Index[V]) Remove(p *Pattern, v V) bool {
	path := make([]*node[V], 0, len(p.segs)+1)
	n := &x.root
	path = append(path, n)
	for _, s := range p.segs {
		if n = n.child(s, false); n == nil {
			return false
		}
		path = append(path, n)
	}
	i := slices.Index(n.vals, v)
	if i < 0 {
		return false
	}
	n.vals = slices.Delete(n.vals, i, i+1)
	if len(n.vals) == 0 {
		n.vals = nil
	}
	x.n--
	for k := len(p.segs) - 1; k >= 0; k-- {
		if !path[k+1].empty() {
			break
		}
		path[k].drop(p.segs[k], path[k+1])
	}
	return true
}

// Match calls yield with the value of every entry whose pattern matches
// the destination segs (as Split returns them), once per entry, until yield
// returns false.
func (x *Index[V]) Match(segs []string, yield func(V) bool) {
	x.root.match(segs, yield)
}

func (n *node[V]) empty() bool {
	return len(n.vals) == 0 && len(n.lit) == 0 && len(n.wild) == 0 && n.double == nil
}

// wildKey is the group of a * or {variable} segment.
func wildKey(s segment) string { return s.prefix }

// sameShape reports whether two non-literal segments match the same
// destination segments: the variable's name does not matter.
func sameShape(a, b segment) bool {
	return a.kind == b.kind && a.prefix == b.prefix && a.suffix == b.suffix
}

// child returns the node under n for segment s, creating it if create.
func (n *node[V]) child(s segment, create bool) *node[V] {
	switch s.kind {
	case literal:
		c := n.lit[s.prefix]
		if c == nil && create {
			if n.lit == nil {
				n.lit = make(map[string]*node[V])
			}
			c = &node[V]{}
			n.lit[s.prefix] = c
		}
		return c
	case double:
		if n.double == nil && create {
			n.double = &node[V]{}
		}
		return n.double
	}
	k := wildKey(s)
	for _, e := range n.wild[k] {
		if sameShape(e.seg, s) {
			return e.next
		}
	}
	if !create {
		return nil
	}
	if n.wild == nil {
		n.wild = make(map[string][]*wildEdge[V])
	}
	if len(n.wild[k]) == 0 {
		if i, found := slices.BinarySearch(n.lens, len(k)); !found {
			n.lens = slices.Insert(n.lens, i, len(k))
		}
	}
	e := &wildEdge[V]{seg: s, next: &node[V]{}}
	n.wild[k] = append(n.wild[k], e)
	return e.next
}

// drop removes the empty child c reached from n by segment s.
func (n *node[V]) drop(s segment, c *node[V]) {
	switch s.kind {
	case literal:
		delete(n.lit, s.prefix)
		if len(n.lit) == 0 {
			n.lit = nil
		}
		return
	case double:
		n.double = nil
		return
	}
	k := wildKey(s)
	n.wild[k] = slices.DeleteFunc(n.wild[k], func(e *wildEdge[V]) bool { return e.next == c })
	if len(n.wild[k]) > 0 {
		return
	}
	delete(n.wild, k)
	if i, found := slices.BinarySearch(n.lens, len(k)); found && !n.hasPrefixLen(len(k)) {
		n.lens = slices.Delete(n.lens, i, i+1)
	}
	if len(n.wild) == 0 {
		n.wild, n.lens = nil, nil
	}
}

func (n *node[V]) hasPrefixLen(l int) bool {
	for k := range n.wild {
		if len(k) == l {
			return true
		}
	}
	return false
}

// match yields the values under n matching segs; it returns false once
// yield has.
func (n *node[V]) match(segs []string, yield func(V) bool) bool {
	if n.double != nil {
		// ** takes zero or more segments; what follows it in a pattern has
		// a fixed number of segments, so each entry matches at one split.
		for i := 0; i <= len(segs); i++ {
			if !n.double.match(segs[i:], yield) {
				return false
			}
		}
	}
	if len(segs) == 0 {
		for _, v := range n.vals {
			if !yield(v) {
				return false
			}
		}
		return true
	}
	s, rest := segs[0], segs[1:]
	if c := n.lit[s]; c != nil && !c.match(rest, yield) {
		return false
	}
	for _, l := range n.lens {
		if l > len(s) {
			break
		}
		for _, e := range n.wild[s[:l]] {
			if e.seg.matches(s) && !e.next.match(rest, yield) {
				return false
			}
		}
	}
	return true
}

// matches reports whether a * or {variable} segment matches part.
func (s segment) matches(part string) bool {
	if len(part) < len(s.prefix)+len(s.suffix) || !strings.HasSuffix(part, s.suffix) {
		return false
	}
	return s.kind != capture || len(part) > len(s.prefix)+len(s.suffix)
}
