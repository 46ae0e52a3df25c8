package frame

// Version is a STOMP protocol version. Its zero value is not a version.
type Version uint8

// The versions this package speaks.
const (
	V1_0 Version = 1 + iota
	V1_1
	V1_2
)

// String returns the version as the protocol spells it, "1.0", "1.1" or "1.2".
func (v Version) String() string {
	switch v {
	case V1_0:
		return "1.0"
	case V1_1:
		return "1.1"
	case V1_2:
		return "1.2"
	}
	return "unknown"
}

// ParseVersion parses "1.0", "1.1" or "1.2".
func ParseVersion(s string) (Version, bool) {
	switch s {
	case "1.0":
		return V1_0, true
	case "1.1":
		return V1_1, true
	case "1.2":
		return V1_2, true
	}
	return 0, false
}
