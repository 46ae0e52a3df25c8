package chat

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/stompbox/stompbox/history"
	"github.com/stompbox/stompbox/limit"
	"github.com/stompbox/stompbox/server"
)

// MaxNameLen is the longest display name, in characters.
const MaxNameLen = 32

// NormalName is the form a display name is kept and compared in: trimmed
// and in Unicode NFC, so that "홍길동" typed as composed syllables and as
// decomposed jamo are one name.
func NormalName(login string) string {
	return norm.NFC.String(strings.TrimSpace(login))
}

// ValidName reports why name (in NormalName's form) cannot be a display
// name, or "" when it can: 1 to 32 characters; no control characters; no
// invisible characters (zero-width spaces, direction overrides, Hangul
// fillers, combining grapheme joiners, variation selectors), which would
// let "홍길동" and "홍길동\u200b" look alike; no "/", which separates the
// parts of a user destination.
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
		case unicode.Is(unicode.Cf, r) || invisible(r):
			return "a name may not contain invisible characters"
		case r == '/':
			return `a name may not contain "/"`
		}
	}
	return ""
}

// invisible reports the characters that show as nothing (beyond the
// format characters, unicode.Cf): Hangul fillers, the combining grapheme
// joiner, variation selectors, and Mongolian free variation selectors.
func invisible(r rune) bool {
	switch {
	case r == 0x115F, r == 0x1160, r == 0x3164, r == 0xFFA0, r == 0x034F:
		return true
	case r >= 0x180B && r <= 0x180F, r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF:
		return true
	}
	return false
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
	name := NormalName(c.Header.Get("login"))
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
	err := a.store.Claim(ctx, name, nil) // is it free?
	if err == nil && hash != nil {
		// A new claim, the one thing a CONNECT stores: bounded per address.
		if !a.claimsByIP.Allow(limit.AddrKey(c.Remote), a.now()) {
			a.warn.Warn("chat: a client address is over its rate", "what", "claims", "addr", limit.AddrKey(c.Remote))
			return "", refuse("rate-limited", "too many new names from your address: try again later")
		}
		err = a.store.Claim(ctx, name, hash)
	} else if errors.Is(err, history.ErrNameTaken) && hash != nil {
		err = a.store.Claim(ctx, name, hash)
	}
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
