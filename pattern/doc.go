// Package pattern matches STOMP destinations against patterns, as Spring's
// @MessageMapping paths and simple-broker subscriptions do, in time linear
// in the destination's length. No regular expression is ever built, so a
// pattern from a client (a SUBSCRIBE to "/topic/rooms.*") is as safe as
// one from the program.
//
// A pattern is split on "/" into segments. A segment is one of:
//
//	chat          a literal
//	*             any one segment
//	{room}        any one segment, captured as the variable "room"
//	rooms.*       a literal prefix and/or suffix around one * or {name}
//	rooms.{room}  (so dot-separated names work too)
//	**            any number of segments, zero included; at most one per pattern
//
// A matched variable never contains "/". Patterns are immutable and safe
// for concurrent use.
//
// # Many patterns
//
// An Index holds many patterns, each with a value (a subscription, say),
// and finds the values whose pattern matches a destination. Its cost
// follows the patterns that could match, not how many it holds: a trie by
// segment looks each literal segment up in a map, each wildcard segment
// up once per distinct shape of prefix and suffix, and matches what comes
// after a ** backwards from the destination's end. Match does not
// allocate; Add and Remove cost the pattern's length, and Remove prunes
// what the pair alone kept, so churn of unique patterns does not grow the
// index. An Index is not safe for concurrent use; the caller locks, and
// Match only reads, so a sync.RWMutex lets matches run together.
package pattern
