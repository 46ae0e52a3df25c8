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
// An [Index] holds many patterns (a broker's pattern subscriptions) and
// finds those matching a destination at a cost that depends on what
// matches, not on how many it holds.
package pattern
