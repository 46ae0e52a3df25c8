package frame

// MaxQuoted is the most of a client's text an error quotes back.
const MaxQuoted = 128

// Truncate shortens text a client sent (a destination, a header value)
// before an error quotes it back, to MaxQuoted bytes and "...". Servers,
// streams and applications use it alike, so one client cannot make an
// error as large as its own frame.
func Truncate(s string) string {
	if len(s) > MaxQuoted {
		return s[:MaxQuoted] + "..."
	}
	return s
}
