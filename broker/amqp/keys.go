package amqp

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/stompbox/stompbox/pattern"
)

// maxKey is the longest routing key sent as it is; AMQP allows 255 bytes.
const maxKey = 200

// routingKey is the key destination d travels under.
func routingKey(d string) string {
	k := strings.ReplaceAll(strings.TrimPrefix(d, "/"), "/", ".")
	if len(k) > maxKey {
		sum := sha256.Sum256([]byte(d))
		return "h." + hex.EncodeToString(sum[:])
	}
	return k
}

// bindingKey is what a subscription to d (a destination or a pattern)
// binds: its routing key, or for a pattern the words of its literal
// beginning followed by "#", which covers at least what it matches.
func bindingKey(d string) string {
	if !pattern.HasWildcard(d) {
		return routingKey(d)
	}
	var words []string
	for _, seg := range strings.Split(strings.TrimPrefix(d, "/"), "/") {
		if i := strings.IndexAny(seg, "*{"); i >= 0 {
			// The literal words before the wildcard, whole ones only.
			if j := strings.LastIndexByte(seg[:i], '.'); j >= 0 {
				words = append(words, strings.Split(seg[:j], ".")...)
			}
			break
		}
		words = append(words, strings.Split(seg, ".")...)
	}
	k := strings.Join(append(words, "#"), ".")
	if len(k) > maxKey {
		return "topic.#" // every topic, never a user's key
	}
	return k
}
