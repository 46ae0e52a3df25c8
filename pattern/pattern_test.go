package pattern

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	cases := []struct {
		pattern string
		dest    string
		vars    string // "name=value ..." or "-" for no match
	}{
		{"/topic/chat", "/topic/chat", ""},
		{"/topic/chat", "/topic/chats", "-"},
		{"/topic/chat", "/topic/chat/x", "-"},
		{"/topic/*", "/topic/chat", ""},
		{"/topic/*", "/topic/a/b", "-"},
		{"/topic/rooms.*", "/topic/rooms.lobby", ""},
		{"/topic/rooms.*", "/topic/rooms.", ""},
		{"/topic/rooms.*", "/topic/room.lobby", "-"},
		{"/topic/*.log", "/topic/app.log", ""},
		{"/rooms/{room}/chat", "/rooms/lobby/chat", "room=lobby"},
		{"/rooms/{room}/chat", "/rooms//chat", "-"},
		{"/rooms/{room}/chat", "/rooms/a/b/chat", "-"},
		{"/rooms.{room}", "/rooms.한국", "room=한국"},
		{"/rooms/{room}/users/{user}", "/rooms/r1/users/u2", "room=r1 user=u2"},
		{"/topic/**", "/topic", ""},
		{"/topic/**", "/topic/a/b/c", ""},
		{"/**/chat", "/a/b/chat", ""},
		{"/**/chat", "/chat", ""},
		{"/a/**/z", "/a/z", ""},
		{"/a/**/{last}", "/a/b/c/d", "last=d"},
		{"/a/**/z", "/a/b/y", "-"},
		{"/topic/x", "topic/x", "-"},
	}
	for _, c := range cases {
		p, err := Parse(c.pattern)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.pattern, err)
		}
		vars, ok := p.MatchVars(c.dest)
		got := "-"
		if ok {
			var parts []string
			for i := 0; i < len(vars); i += 2 {
				parts = append(parts, vars[i]+"="+vars[i+1])
			}
			got = strings.Join(parts, " ")
		}
		if got != c.vars {
			t.Errorf("%q ~ %q: got %q, want %q", c.pattern, c.dest, got, c.vars)
		}
		if p.Match(c.dest) != (c.vars != "-") {
			t.Errorf("%q ~ %q: Match disagrees with MatchVars", c.pattern, c.dest)
		}
		if segs, sok := Split(c.dest); sok {
			svars, sok := p.MatchSplitVars(segs)
			if sok != ok || !slices.Equal(svars, vars) {
				t.Errorf("%q ~ %q: MatchSplitVars gave %v %q, MatchVars %v %q", c.pattern, c.dest, sok, svars, ok, vars)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{"topic/x", "/a/**/b/**", "/a/b**", "/a/**c", "/{a}/{a}", "/{}", "/{a-b}", "/a*b*c", "/{a}{b}", "/{a*}", "/{open", "/close}",
		"/" + strings.Repeat("a", MaxLen), "/" + strings.Repeat("{v}/", 0) + varsN(MaxVars+1)} {
		if _, err := Parse(s); !errors.Is(err, ErrSyntax) {
			t.Errorf("Parse(%q) = %v, want ErrSyntax", s, err)
		}
	}
}

func varsN(n int) string {
	var parts []string
	for i := range n {
		parts = append(parts, fmt.Sprintf("{v%d}", i))
	}
	return strings.Join(parts, "/")
}

func TestExpand(t *testing.T) {
	got, err := Expand("/topic/rooms.{room}.{user}", []string{"room", "lobby", "user", "홍길동"})
	if err != nil || got != "/topic/rooms.lobby.홍길동" {
		t.Fatalf("got %q, %v", got, err)
	}
	if got, _ := Expand("/topic/plain", nil); got != "/topic/plain" {
		t.Fatalf("got %q", got)
	}
	if _, err := Expand("/topic/{missing}", []string{"room", "x"}); err == nil {
		t.Fatal("a missing variable expanded")
	}
	if _, err := Expand("/topic/{open", nil); !errors.Is(err, ErrSyntax) {
		t.Fatalf("unclosed brace: %v", err)
	}
}

// Matching is linear: a hostile destination of many segments against a
// pattern with ** costs one pass, not a search.
func BenchmarkMatchLongDestination(b *testing.B) {
	p := MustParse("/a/**/*.x/{v}/z")
	dest := "/a" + strings.Repeat("/seg", 200) + "/q.x/val/z"
	for b.Loop() {
		if !p.Match(dest) {
			b.Fatal("no match")
		}
	}
}

func ExamplePattern_MatchVars() {
	p := MustParse("/rooms/{room}/chat")
	vars, ok := p.MatchVars("/rooms/lobby/chat")
	fmt.Println(ok, vars)
	dest, _ := Expand("/topic/rooms.{room}", vars)
	fmt.Println(dest)
	// Output:
	// true [room lobby]
	// /topic/rooms.lobby
}

func FuzzMatch(f *testing.F) {
	f.Add("/rooms/{room}/chat", "/rooms/lobby/chat")
	f.Add("/a/**/z", "/a/b/c/z")
	f.Add("/topic/rooms.*", "/topic/rooms.x")
	f.Fuzz(func(t *testing.T, pat, dest string) {
		p, err := Parse(pat)
		if err != nil {
			return
		}
		vars, ok := p.MatchVars(dest)
		if ok != p.Match(dest) || len(vars)%2 != 0 || (ok && len(vars) != 2*len(p.Vars())) {
			t.Fatalf("%q ~ %q: %v %v", pat, dest, ok, vars)
		}
		if segs, sok := Split(dest); sok {
			if svars, sok := p.MatchSplitVars(segs); sok != ok || !slices.Equal(svars, vars) {
				t.Fatalf("%q ~ %q: MatchSplitVars %v %q, MatchVars %v %q", pat, dest, sok, svars, ok, vars)
			}
		}
		for i := 1; i < len(vars); i += 2 {
			if vars[i] == "" || strings.Contains(vars[i], "/") {
				t.Fatalf("%q ~ %q: variable %q", pat, dest, vars[i])
			}
		}
	})
}
