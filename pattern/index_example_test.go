package pattern_test

import (
	"fmt"
	"slices"

	"github.com/stompbox/stompbox/pattern"
)

func ExampleIndex() {
	var subs pattern.Index[string]
	subs.Add(pattern.MustParse("/topic/rooms.*"), "alice")
	subs.Add(pattern.MustParse("/topic/rooms.{room}"), "bob")
	subs.Add(pattern.MustParse("/topic/**"), "carol")
	subs.Add(pattern.MustParse("/topic/user.{id}/inbox"), "dave")

	match := func(dest string) []string {
		segs, _ := pattern.Split(dest) // once per publish
		var got []string
		subs.Match(segs, func(who string) bool {
			got = append(got, who)
			return true // false stops the match
		})
		slices.Sort(got) // Match yields in no particular order
		return got
	}
	fmt.Println(match("/topic/rooms.lobby"))
	fmt.Println(match("/topic/rooms."))
	fmt.Println(match("/topic/user.7/inbox"))

	subs.Remove(pattern.MustParse("/topic/**"), "carol")
	fmt.Println(match("/topic/rooms.lobby"), subs.Len())
	// Output:
	// [alice bob carol]
	// [alice carol]
	// [carol dave]
	// [alice bob] 3
}
