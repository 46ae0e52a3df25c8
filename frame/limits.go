package frame

// Limits bound what a Reader accepts. A zero field takes its default.
type Limits struct {
	// MaxLineLen bounds the command line and each header line, in bytes,
	// escapes and line ending included. Default 8 KiB.
	MaxLineLen int
	// MaxHeaders bounds the number of header lines in a frame. Default 64.
	MaxHeaders int
	// MaxBody bounds a frame's body, in bytes. Default 1 MiB.
	MaxBody int
}

// Default limits.
const (
	DefaultMaxLineLen = 8 << 10
	DefaultMaxHeaders = 64
	DefaultMaxBody    = 1 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxLineLen <= 0 {
		l.MaxLineLen = DefaultMaxLineLen
	}
	if l.MaxHeaders <= 0 {
		l.MaxHeaders = DefaultMaxHeaders
	}
	if l.MaxBody <= 0 {
		l.MaxBody = DefaultMaxBody
	}
	return l
}

// maxFrame is the largest frame these limits admit: the command line, every
// header line, the blank line, the body and its NUL.
func (l Limits) maxFrame() int {
	return (l.MaxHeaders+2)*l.MaxLineLen + l.MaxBody + 1
}
