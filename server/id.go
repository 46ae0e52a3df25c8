package server

import (
	"crypto/rand"
	"encoding/base32"
)

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns a random, unguessable session id from crypto/rand.
func newID() string {
	var b [15]byte
	rand.Read(b[:]) // never fails; see crypto/rand
	return idEncoding.EncodeToString(b[:])
}
