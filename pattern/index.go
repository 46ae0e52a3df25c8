package pattern

import "slices"

// An Index maps patterns to values and finds the values whose pattern
// matches a destination, at a cost that follows the patterns that could
// match it rather than all the patterns it holds.
//
// The zero value is empty and ready to use. An Index is not safe for
// concurrent use, except that Match only reads: calls to Match may run
// together as long as no Add or Remove runs with them (a sync.RWMutex fits).
type Index[V comparable] struct {
	root node[V]
	n    int
}

// A node is one position in a trie keyed by pattern segment. From the
// root, a path spells a pattern's segments in order up to its **, if it
// has one; the ** steps into rest, and from there the path spells the
// segments after the ** backwards, from the last. So a destination is
// matched forwards up to a **, then backwards from its end, and a ** never
// has to try each length it might take.
type node[V comparable] struct {
	lit    map[string]*node[V]    // literal segments
	wild   map[wildKey][]named[V] // *, {name}, and either with a literal prefix/suffix
	shapes []shape                // the distinct shapes of wild's keys, shortest first
	rest   *node[V]               // the patterns with ** here
	vals   bag[V]                 // the patterns that end here
}

// A wildKey is a non-literal segment: prefix*suffix, or prefix{name}suffix
// for any name.
type wildKey struct {
	prefix, suffix string
	capture        bool
}

// A named child is the child for one name of a wildKey: "" for a *, the
// variable's name for a capture. Names match alike but are kept apart so
// that a pattern keeps its own path: Remove("/{b}") does not take what
// Add("/{a}") put in. A key rarely has more than one or two.
type named[V comparable] struct {
	name string
	next *node[V]
}

// A shape stands for the wild keys of one prefix length, suffix length and
// kind. Matching a segment looks each shape up once, with the segment's
// own prefix and suffix of those lengths, instead of trying every key.
type shape struct {
	plen, slen int
	capture    bool
	n          int // keys of this shape in wild
}

// Add adds the pair (p, v). Adding a pair twice makes Match yield v twice.
func (x *Index[V]) Add(p *Pattern, v V) {
	n := &x.root
	for d := range p.segs {
		n = n.child(p, d, true)
	}
	n.vals.add(v)
	x.n++
}

// Remove removes one pair (p, v) added before, matching p by its text
// (p.String()), and reports whether there was one. What the pair alone
// kept in the index goes with it.
func (x *Index[V]) Remove(p *Pattern, v V) bool {
	if !x.root.remove(p, 0, v) {
		return false
	}
	x.n--
	return true
}

// Len returns the number of pairs in the index.
func (x *Index[V]) Len() int { return x.n }

// Match calls yield with the value of each pair whose pattern matches the
// destination segs (from Split), once per pair, in no particular order,
// until yield returns false. It neither allocates nor changes the index.
func (x *Index[V]) Match(segs []string, yield func(V) bool) {
	x.root.match(segs, 0, len(segs), false, yield)
}

// match yields the values below n that match segs[lo:hi]. Forwards, a
// pattern ends here only if nothing is left; backwards (after a **, which
// takes whatever the two ends leave it), every node reached completes the
// patterns that end there.
func (n *node[V]) match(segs []string, lo, hi int, back bool, yield func(V) bool) bool {
	if (back || lo == hi) && !n.vals.each(yield) {
		return false
	}
	if n.rest != nil && !n.rest.match(segs, lo, hi, true, yield) {
		return false
	}
	if lo == hi {
		return true
	}
	var s string
	if back {
		hi--
		s = segs[hi]
	} else {
		s = segs[lo]
		lo++
	}
	if c := n.lit[s]; c != nil && !c.match(segs, lo, hi, back, yield) {
		return false
	}
	for _, sh := range n.shapes {
		if sh.plen+sh.slen > len(s) {
			break // shapes are shortest first
		}
		if sh.capture && sh.plen+sh.slen == len(s) {
			continue // a variable is never empty
		}
		for _, c := range n.wild[wildKey{s[:sh.plen], s[len(s)-sh.slen:], sh.capture}] {
			if !c.next.match(segs, lo, hi, back, yield) {
				return false
			}
		}
	}
	return true
}

// step returns what p spells at depth d of its path: its segments up to
// the **, then the ** (rest is true), then the segments after it from the
// last. The path is as long as p has segments.
func step(p *Pattern, d int) (s segment, rest bool) {
	switch {
	case p.double < 0 || d < p.double:
		return p.segs[d], false
	case d == p.double:
		return segment{}, true
	}
	return p.segs[len(p.segs)-(d-p.double)], false
}

// child returns n's child for step d of p, making it if create is set, or
// nil.
func (n *node[V]) child(p *Pattern, d int, create bool) *node[V] {
	s, rest := step(p, d)
	switch {
	case rest:
		if n.rest == nil && create {
			n.rest = new(node[V])
		}
		return n.rest
	case s.kind == literal:
		c := n.lit[s.prefix]
		if c == nil && create {
			if n.lit == nil {
				n.lit = make(map[string]*node[V])
			}
			c = new(node[V])
			n.lit[s.prefix] = c
		}
		return c
	}
	k := wildKey{s.prefix, s.suffix, s.kind == capture}
	cs := n.wild[k]
	for _, c := range cs {
		if c.name == s.name {
			return c.next
		}
	}
	if !create {
		return nil
	}
	if n.wild == nil {
		n.wild = make(map[wildKey][]named[V])
	}
	if cs == nil {
		n.addShape(len(k.prefix), len(k.suffix), k.capture)
	}
	c := new(node[V])
	n.wild[k] = append(cs, named[V]{s.name, c})
	return c
}

// unlink drops n's child for step d of p, which has become empty.
func (n *node[V]) unlink(p *Pattern, d int) {
	s, rest := step(p, d)
	switch {
	case rest:
		n.rest = nil
	case s.kind == literal:
		delete(n.lit, s.prefix)
		if len(n.lit) == 0 {
			n.lit = nil // a map never shrinks; let it go
		}
	default:
		k := wildKey{s.prefix, s.suffix, s.kind == capture}
		cs := slices.DeleteFunc(n.wild[k], func(c named[V]) bool { return c.name == s.name })
		if len(cs) > 0 {
			n.wild[k] = cs
			return
		}
		delete(n.wild, k)
		if len(n.wild) == 0 {
			n.wild = nil
		}
		n.removeShape(len(k.prefix), len(k.suffix), k.capture)
	}
}

func (n *node[V]) remove(p *Pattern, d int, v V) bool {
	if d == len(p.segs) {
		return n.vals.remove(v)
	}
	c := n.child(p, d, false)
	if c == nil || !c.remove(p, d+1, v) {
		return false
	}
	if c.empty() {
		n.unlink(p, d)
	}
	return true
}

func (n *node[V]) empty() bool {
	return n.lit == nil && n.wild == nil && n.rest == nil && n.vals.empty()
}

func (n *node[V]) addShape(plen, slen int, capture bool) {
	i := 0
	for ; i < len(n.shapes); i++ {
		sh := &n.shapes[i]
		if sh.plen == plen && sh.slen == slen && sh.capture == capture {
			sh.n++
			return
		}
		if sh.plen+sh.slen > plen+slen {
			break
		}
	}
	n.shapes = append(n.shapes, shape{})
	copy(n.shapes[i+1:], n.shapes[i:])
	n.shapes[i] = shape{plen: plen, slen: slen, capture: capture, n: 1}
}

func (n *node[V]) removeShape(plen, slen int, capture bool) {
	for i := range n.shapes {
		sh := &n.shapes[i]
		if sh.plen == plen && sh.slen == slen && sh.capture == capture {
			if sh.n--; sh.n == 0 {
				n.shapes = append(n.shapes[:i], n.shapes[i+1:]...)
				if len(n.shapes) == 0 {
					n.shapes = nil
				}
			}
			return
		}
	}
}

// bagMax is the most values a bag keeps in a slice. Past it, the bag
// counts them in a map so that Remove does not scan thousands of
// subscribers to one popular pattern.
const bagMax = 16

// A bag holds the values of the pairs whose pattern ends at one node,
// repeats kept: a slice while small, then a map of counts until it empties.
type bag[V comparable] struct {
	list  []V
	count map[V]int
}

func (b *bag[V]) empty() bool { return len(b.list) == 0 && len(b.count) == 0 }

func (b *bag[V]) add(v V) {
	if b.count != nil {
		b.count[v]++
		return
	}
	if len(b.list) < bagMax {
		b.list = append(b.list, v)
		return
	}
	b.count = make(map[V]int, 2*bagMax)
	for _, w := range b.list {
		b.count[w]++
	}
	b.count[v]++
	b.list = nil
}

func (b *bag[V]) remove(v V) bool {
	if b.count != nil {
		c, ok := b.count[v]
		switch {
		case !ok:
			return false
		case c > 1:
			b.count[v] = c - 1
		default:
			delete(b.count, v)
			if len(b.count) == 0 {
				b.count = nil
			}
		}
		return true
	}
	for i, w := range b.list {
		if w == v {
			last := len(b.list) - 1
			b.list[i] = b.list[last]
			var zero V
			b.list[last] = zero // drop the reference
			b.list = b.list[:last]
			if last == 0 {
				b.list = nil
			}
			return true
		}
	}
	return false
}

func (b *bag[V]) each(yield func(V) bool) bool {
	for _, v := range b.list {
		if !yield(v) {
			return false
		}
	}
	for v, c := range b.count {
		for range c {
			if !yield(v) {
				return false
			}
		}
	}
	return true
}
