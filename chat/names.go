package chat

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/stompbox/stompbox/history"
	"github.com/stompbox/stompbox/server"
)

// MaxNameLen is the longest display name, in characters.
const MaxNameLen = 32

// ValidName reports why name (already trimmed) cannot be a display name,
// or "" when it can: 1 to 32 characters; no control characters; no
// invisible format characters (zero-width spaces, direction overrides),
// which would let "홍길동" and "홍길동\u200b" look alike; no "/", which
// separates the parts of a user destination.
func ValidName(name string) string {
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return "a name needs at least one character"
	case n > MaxNameLen:
		return fmt.Sprintf("a name may have %d characters at most", MaxNameLen)
	case !utf8.ValidString(name):
		return "a name must be valid UTF-8"
	}
	for _, r := range name {
		switch {
		case unicode.IsControl(r):
			return "a name may not contain control characters"
		case unicode.Is(unicode.Cf, r):
			return "a name may not contain invisible characters"
		case r == '/':
			return `a name may not contain "/"`
		}
	}
	return ""
}

// secretHash is what the store keeps of a name's secret. The browser
// makes the secret from 32 random bytes, so a fast hash salted by the
// name is enough to keep a stolen database from giving secrets away; a
// slow one would only hand an attacker a CPU lever on CONNECT.
func secretHash(name, secret string) []byte {
	h := sha256.New()
	h.Write([]byte("stompbox name claim\x00"))
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write([]byte(secret))
	return h.Sum(nil)
}

// Connect is a server.ConnectHandler: the CONNECT login header, trimmed,
// is the display name. With a passcode, the first CONNECT claims the name
// for that secret and later ones must bring the same secret. Without one,
// only a name nobody has claimed is given. No login means anonymous: such
// a session may read rooms but not post.
func (a *App) Connect(ctx context.Context, c *server.ConnectRequest) (string, error) {
	name := strings.TrimSpace(c.Header.Get("login"))
	if name == "" {
		return "", nil
	}
	if why := ValidName(name); why != "" {
		return "", refuse("bad-name", why)
	}
	var hash []byte // nil: only check that the name is free
	if secret, ok := c.Header.Lookup("passcode"); ok && len(secret) > 0 {
		hash = secretHash(name, string(secret))
	}
	err := a.store.Claim(ctx, name, hash)
	switch {
	case err == nil:
		return name, nil
	case errors.Is(err, history.ErrNameTaken) && hash == nil:
		return "", refuse("name-claimed", fmt.Sprintf("the name %q is claimed: connect with its passcode", name))
	case errors.Is(err, history.ErrNameTaken):
		return "", refuse("name-claimed", fmt.Sprintf("the name %q is claimed by someone else", name))
	case errors.Is(err, history.ErrTooManyNames):
		a.warn.Warn("chat: name budget reached", "limit", "max-names")
		return "", refuse("too-many-names", "no new names can be claimed now (max-names)")
	}
	return "", fmt.Errorf("chat: claim %q: %w", name, err)
}
