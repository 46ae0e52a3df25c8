package pattern

import (
	"errors"
	"fmt"
	"strings"
)

// MaxLen bounds a pattern's length; MaxVars its variables.
const (
	MaxLen  = 1024
	MaxVars = 16
)

// ErrSyntax is returned for a pattern that breaks the rules above.
var ErrSyntax = errors.New("pattern: invalid pattern")

type kind uint8

const (
	literal kind = iota
	star         // prefix*suffix
	capture      // prefix{name}suffix
	double       // **
)

type segment struct {
	kind           kind
	prefix, suffix string // the literal for kind literal is prefix
	name           string
}

// A Pattern is a parsed destination pattern.
type Pattern struct {
	src    string
	segs   []segment
	double int // index of the ** segment, or -1
	vars   []string
}

// HasWildcard reports whether s would be a pattern rather than a literal
// destination: it holds "*", "{" or "}".
func HasWildcard(s string) bool { return strings.ContainsAny(s, "*{}") }

// Parse parses s.
func Parse(s string) (*Pattern, error) {
	if len(s) > MaxLen {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrSyntax, MaxLen)
	}
	if !strings.HasPrefix(s, "/") {
		return nil, fmt.Errorf("%w %q: must start with /", ErrSyntax, s)
	}
	p := &Pattern{src: s, double: -1}
	for i, raw := range strings.Split(s[1:], "/") {
		seg, err := parseSegment(raw)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %v", ErrSyntax, s, err)
		}
		switch seg.kind {
		case double:
			if p.double >= 0 {
				return nil, fmt.Errorf("%w %q: ** may appear once", ErrSyntax, s)
			}
			p.double = i
		case capture:
			for _, v := range p.vars {
				if v == seg.name {
					return nil, fmt.Errorf("%w %q: variable {%s} appears twice", ErrSyntax, s, v)
				}
			}
			if len(p.vars) == MaxVars {
				return nil, fmt.Errorf("%w %q: more than %d variables", ErrSyntax, s, MaxVars)
			}
			p.vars = append(p.vars, seg.name)
		}
		p.segs = append(p.segs, seg)
	}
	return p, nil
}

// MustParse is Parse for patterns written in the program; it panics on error.
func MustParse(s string) *Pattern {
	p, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return p
}

func parseSegment(raw string) (segment, error) {
	if raw == "**" {
		return segment{kind: double}, nil
	}
	if strings.Contains(raw, "**") {
		return segment{}, errors.New("** must be a whole segment")
	}
	open, cls, st := strings.IndexByte(raw, '{'), strings.IndexByte(raw, '}'), strings.IndexByte(raw, '*')
	switch {
	case open < 0 && cls < 0 && st < 0:
		return segment{kind: literal, prefix: raw}, nil
	case open < 0 && cls < 0:
		if strings.Count(raw, "*") > 1 {
			return segment{}, errors.New("one * per segment")
		}
		return segment{kind: star, prefix: raw[:st], suffix: raw[st+1:]}, nil
	case st < 0 && open >= 0 && cls > open:
		name := raw[open+1 : cls]
		rest := raw[cls+1:]
		if !validName(name) {
			return segment{}, fmt.Errorf("variable name %q must be letters, digits or _", name)
		}
		if strings.ContainsAny(rest, "{}") || strings.ContainsAny(raw[:open], "{}") {
			return segment{}, errors.New("one {variable} per segment")
		}
		return segment{kind: capture, prefix: raw[:open], suffix: rest, name: name}, nil
	}
	return segment{}, errors.New("a segment holds one * or one {variable}, with braces closed")
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// String returns the pattern as written.
func (p *Pattern) String() string { return p.src }

// Vars returns the names of the pattern's variables, in order.
func (p *Pattern) Vars() []string { return p.vars }

// Match reports whether dest matches.
func (p *Pattern) Match(dest string) bool {
	segs, ok := Split(dest)
	return ok && p.MatchSplit(segs)
}

// Split splits a destination into its segments once, for matching it
// against many patterns with MatchSplit. ok is false for a destination that
// does not start with "/", which no pattern matches.
func Split(dest string) (segs []string, ok bool) {
	if !strings.HasPrefix(dest, "/") {
		return nil, false
	}
	return strings.Split(dest[1:], "/"), true
}

// MatchSplit is Match for a destination already split by Split.
func (p *Pattern) MatchSplit(segs []string) bool {
	_, ok := p.matchParts(segs, false)
	return ok
}

// MatchVars reports whether dest matches and returns the captured
// variables, name then value, in the pattern's order.
func (p *Pattern) MatchVars(dest string) ([]string, bool) {
	return p.match(dest, true)
}

// MatchSplitVars is MatchVars for a destination already split by Split.
// A destination that does not match costs no allocation.
func (p *Pattern) MatchSplitVars(segs []string) ([]string, bool) {
	if len(p.vars) > 0 && !p.MatchSplit(segs) {
		return nil, false
	}
	return p.matchParts(segs, true)
}

func (p *Pattern) match(dest string, keep bool) ([]string, bool) {
	parts, ok := Split(dest)
	if !ok {
		return nil, false
	}
	return p.matchParts(parts, keep)
}

func (p *Pattern) matchParts(parts []string, keep bool) ([]string, bool) {
	var vars []string
	if keep && len(p.vars) > 0 {
		vars = make([]string, 0, 2*len(p.vars))
	}
	var ok bool
	check := func(s segment, part string) bool {
		vars, ok = s.match(part, vars, keep)
		return ok
	}
	if p.double < 0 {
		if len(parts) != len(p.segs) {
			return nil, false
		}
		for i, s := range p.segs {
			if !check(s, parts[i]) {
				return nil, false
			}
		}
		return vars, true
	}
	head, tail := p.segs[:p.double], p.segs[p.double+1:]
	if len(parts) < len(head)+len(tail) {
		return nil, false
	}
	for i, s := range head {
		if !check(s, parts[i]) {
			return nil, false
		}
	}
	off := len(parts) - len(tail)
	for i, s := range tail {
		if !check(s, parts[off+i]) {
			return nil, false
		}
	}
	return vars, true
}

func (s segment) match(part string, vars []string, keep bool) ([]string, bool) {
	switch s.kind {
	case literal:
		return vars, part == s.prefix
	case double:
		return vars, true
	}
	if len(part) < len(s.prefix)+len(s.suffix) || !strings.HasPrefix(part, s.prefix) || !strings.HasSuffix(part, s.suffix) {
		return vars, false
	}
	v := part[len(s.prefix) : len(part)-len(s.suffix)]
	if s.kind == capture {
		if v == "" {
			return vars, false // a variable is never empty
		}
		if keep {
			vars = append(vars, s.name, v)
		}
	}
	return vars, true
}

// Expand replaces each {name} in template with its value from vars (name,
// value pairs, as MatchVars returns). A {name} without a value is an
// error.
func Expand(template string, vars []string) (string, error) {
	if !strings.Contains(template, "{") {
		return template, nil
	}
	var b strings.Builder
	rest := template
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("%w %q: unclosed {", ErrSyntax, template)
		}
		name := rest[i+1 : i+j]
		val, found := lookup(vars, name)
		if !found {
			return "", fmt.Errorf("pattern: %q uses {%s}, which the destination did not capture", template, name)
		}
		b.WriteString(rest[:i])
		b.WriteString(val)
		rest = rest[i+j+1:]
	}
}

func lookup(vars []string, name string) (string, bool) {
	for i := 0; i+1 < len(vars); i += 2 {
		if vars[i] == name {
			return vars[i+1], true
		}
	}
	return "", false
}
