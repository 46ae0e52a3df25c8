package frame

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

type state uint8

const (
	stStart state = iota
	stCommand
	stHeaders
	stBody
)

// span is a header field's key and value as offsets from the frame's start.
type span struct{ k0, k1, v0, v1 int }

// A Reader decodes STOMP frames from a byte stream. See the package
// documentation for what it accepts and when a Frame's memory is reused.
type Reader struct {
	rd  io.Reader
	lim Limits
	ver Version

	buf        []byte
	start, end int   // buf[start:end] is buffered; the frame being parsed begins at start
	rerr       error // error from rd, reported once the buffer is used up

	// Parse state; offsets are relative to start, so moving the frame in
	// the buffer moves nothing else.
	st         state
	pos        int // first byte not yet parsed
	cmd        string
	spans      []span
	clen       int // content-length, or -1
	bodyStart  int
	heartbeats int
}

const initialBufSize = 4 << 10

// A Waiter is a source that can wait until it has bytes to give without a
// buffer to read them into (for a socket: until it is readable). A Reader
// on one gives its buffer back to a pool while it waits between frames
// with nothing buffered, so an idle connection holds no read buffer.
type Waiter interface {
	WaitRead() error
}

// smallBufs holds the idle Readers' initialBufSize buffers.
var smallBufs = sync.Pool{New: func() any { b := make([]byte, initialBufSize); return &b }}

func getSmall() []byte { return *smallBufs.Get().(*[]byte) }

func putSmall(b []byte) {
	b = b[:cap(b)]
	smallBufs.Put(&b)
}

// NewReader returns a Reader on rd with the given limits (zero fields take
// their defaults). It decodes escapes by the rules of STOMP 1.2 until
// SetVersion says otherwise; CONNECT and CONNECTED are never unescaped.
func NewReader(rd io.Reader, lim Limits) *Reader {
	r := &Reader{rd: rd, lim: lim.withDefaults(), ver: V1_2}
	r.next()
	return r
}

// next sets the parse state for a frame not yet begun.
func (r *Reader) next() {
	r.st, r.pos, r.cmd, r.spans, r.clen, r.bodyStart = stStart, 0, "", r.spans[:0], -1, 0
}

// SetVersion sets the version whose escaping rules apply to later frames.
func (r *Reader) SetVersion(v Version) { r.ver = v }

// SetLimits replaces the limits for frames not yet begun, e.g. to widen a
// smaller budget once a session has connected.
func (r *Reader) SetLimits(lim Limits) { r.lim = lim.withDefaults() }

// Heartbeats returns how many bare end-of-line heart-beats have been read.
func (r *Reader) Heartbeats() int { return r.heartbeats }

// Buffered returns how many bytes have been read but not yet decoded.
func (r *Reader) Buffered() int { return r.end - r.start }

// ReadFrame decodes the next frame into f, reusing f's header slice. It
// returns io.EOF at a clean end of stream between frames and
// io.ErrUnexpectedEOF inside one; other errors wrap the package's Err values
// or come from the underlying reader. f's fields are valid until the next
// call.
//
// An error from the underlying reader (or its Waiter) leaves the frame in
// progress where it was: a later call goes on from there, so a source
// that runs dry for now (a socket waited for elsewhere) may stop at any
// byte. After any other error the stream is broken.
func (r *Reader) ReadFrame(f *Frame) error {
	r.shrink()
	for {
		done, err := r.parse()
		if err != nil {
			return err
		}
		if done {
			break
		}
		if err := r.fill(); err != nil {
			if err == io.EOF && r.st != stStart {
				err = io.ErrUnexpectedEOF
			}
			return err
		}
	}
	frameBuf := r.buf[r.start:]
	f.Command = r.cmd
	f.Header = f.Header[:0]
	for _, s := range r.spans {
		f.Header = append(f.Header, Field{Key: frameBuf[s.k0:s.k1:s.k1], Value: frameBuf[s.v0:s.v1:s.v1]})
	}
	bodyEnd := r.pos - 1 // pos is just past the NUL
	f.Body = frameBuf[r.bodyStart:bodyEnd:bodyEnd]
	r.start += r.pos
	r.next()
	return nil
}

// parse advances the state machine over the buffered bytes. It reports true
// when a whole frame has been parsed.
func (r *Reader) parse() (bool, error) {
	for {
		switch r.st {
		case stStart:
			for r.start < r.end {
				c := r.buf[r.start]
				if c == '\n' {
					r.start++
					r.heartbeats++
					continue
				}
				if c == '\r' {
					if r.start+1 == r.end {
						return false, nil
					}
					if r.buf[r.start+1] == '\n' {
						r.start += 2
						r.heartbeats++
						continue
					}
				}
				break
			}
			if r.start == r.end {
				r.start, r.end = 0, 0
				return false, nil
			}
			r.st = stCommand
		case stCommand, stHeaders:
			line, ok, err := r.line()
			if !ok || err != nil {
				return false, err
			}
			if r.st == stCommand {
				if err := r.command(line); err != nil {
					return false, err
				}
				r.st = stHeaders
				continue
			}
			if line[1] == line[0] { // empty line: headers end
				r.bodyStart = r.pos
				r.st = stBody
				continue
			}
			if err := r.header(line[0], line[1]); err != nil {
				return false, err
			}
		case stBody:
			return r.body()
		}
	}
}

// line returns the next line's [from, to) offsets without its line ending,
// or ok=false when more input is needed.
func (r *Reader) line() (line [2]int, ok bool, err error) {
	max := r.lim.MaxLineLen
	if r.st == stCommand {
		max = maxCommandLen + 2
	}
	avail := r.buf[r.start+r.pos : r.end]
	i := bytes.IndexByte(avail, '\n')
	if i < 0 {
		if len(avail) > max {
			return line, false, r.lineErr()
		}
		return line, false, nil
	}
	if i+1 > max {
		return line, false, r.lineErr()
	}
	from, to := r.pos, r.pos+i
	if to > from && r.buf[r.start+to-1] == '\r' {
		to--
	}
	r.pos += i + 1
	return [2]int{from, to}, true, nil
}

func (r *Reader) lineErr() error {
	if r.st == stCommand {
		return fmt.Errorf("%w: command line longer than %d bytes", ErrUnknownCommand, maxCommandLen)
	}
	return fmt.Errorf("%w: limit is %d bytes", ErrLineTooLong, r.lim.MaxLineLen)
}

func (r *Reader) command(line [2]int) error {
	b := r.buf[r.start+line[0] : r.start+line[1]]
	r.cmd = lookupCommand(b)
	if r.cmd == "" {
		return fmt.Errorf("%w %q", ErrUnknownCommand, b)
	}
	return nil
}

func (r *Reader) header(from, to int) error {
	if len(r.spans) >= r.lim.MaxHeaders {
		return fmt.Errorf("%w: limit is %d", ErrTooManyHeaders, r.lim.MaxHeaders)
	}
	b := r.buf[r.start+from : r.start+to]
	if bytes.IndexByte(b, 0) >= 0 {
		return fmt.Errorf("%w: %q", ErrNULInHeader, truncate(b))
	}
	c := bytes.IndexByte(b, ':')
	if c < 0 {
		return fmt.Errorf("%w: %q", ErrMalformedHeader, truncate(b))
	}
	key, val := b[:c], b[c+1:]
	if escapes(r.cmd) {
		var err error
		if key, err = unescape(key, r.ver); err != nil {
			return fmt.Errorf("%w: %q", err, truncate(b))
		}
		if val, err = unescape(val, r.ver); err != nil {
			return fmt.Errorf("%w: %q", err, truncate(b))
		}
	}
	k0 := from
	v0 := from + c + 1
	s := span{k0: k0, k1: k0 + len(key), v0: v0, v1: v0 + len(val)}
	if r.clen < 0 && string(key) == HdrContentLength && !r.seen(HdrContentLength) {
		n, err := parseLength(val, r.lim.MaxBody)
		if err != nil {
			return err
		}
		r.clen = n
	}
	r.spans = append(r.spans, s)
	return nil
}

// seen reports whether a header named key was already parsed in this frame.
func (r *Reader) seen(key string) bool {
	fb := r.buf[r.start:]
	for _, s := range r.spans {
		if string(fb[s.k0:s.k1]) == key {
			return true
		}
	}
	return false
}

// parseLength parses a content-length value, refusing anything over max
// before a byte of body is buffered.
func parseLength(b []byte, max int) (int, error) {
	if len(b) == 0 || len(b) > 10 {
		if len(b) > 10 && allDigits(b) {
			return 0, fmt.Errorf("%w: content-length %s, limit is %d", ErrBodyTooLarge, truncate(b), max)
		}
		return 0, fmt.Errorf("%w: %q", ErrBadContentLength, truncate(b))
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: %q", ErrBadContentLength, b)
		}
		n = n*10 + int(c-'0')
	}
	if n > max {
		return 0, fmt.Errorf("%w: content-length %d, limit is %d", ErrBodyTooLarge, n, max)
	}
	return n, nil
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (r *Reader) body() (bool, error) {
	avail := r.end - r.start
	if r.clen >= 0 {
		need := r.bodyStart + r.clen + 1
		if avail < need {
			r.reserve(need)
			return false, nil
		}
		if r.buf[r.start+need-1] != 0 {
			return false, fmt.Errorf("%w: content-length %d", ErrMissingNUL, r.clen)
		}
		r.pos = need
		return true, nil
	}
	i := bytes.IndexByte(r.buf[r.start+r.pos:r.end], 0)
	if i < 0 {
		r.pos = avail
		if avail-r.bodyStart > r.lim.MaxBody {
			return false, fmt.Errorf("%w: limit is %d bytes", ErrBodyTooLarge, r.lim.MaxBody)
		}
		return false, nil
	}
	if r.pos+i-r.bodyStart > r.lim.MaxBody {
		return false, fmt.Errorf("%w: limit is %d bytes", ErrBodyTooLarge, r.lim.MaxBody)
	}
	r.pos += i + 1
	return true, nil
}

// reserve makes room for a frame of n bytes from start, which the limits
// have already admitted.
func (r *Reader) reserve(n int) {
	if r.start+n <= len(r.buf) {
		return
	}
	if n <= len(r.buf) {
		r.compact()
		return
	}
	r.grow(n)
}

// grow moves what is buffered to a buffer of n bytes taken from the pool,
// giving the old one back.
func (r *Reader) grow(n int) {
	nb := getBuf(n)
	r.end = copy(nb, r.buf[r.start:r.end])
	r.release(r.buf)
	r.buf, r.start = nb, 0
}

// shrink gives a large buffer back once the frame that needed it has been
// consumed (the caller's previous Frame is no longer valid), keeping what
// is buffered of the next frame in a small one. So an idle session holds
// initialBufSize at most, whatever it once received.
func (r *Reader) shrink() {
	if len(r.buf) <= initialBufSize || r.end-r.start > initialBufSize {
		return
	}
	small := getSmall()
	r.end = copy(small, r.buf[r.start:r.end])
	r.release(r.buf)
	r.buf, r.start = small, 0
}

// release gives b to its pool.
func (r *Reader) release(b []byte) {
	switch {
	case len(b) > initialBufSize:
		putBuf(b)
	case len(b) == initialBufSize:
		putSmall(b)
	}
}

// Release gives the Reader's buffer back when its owner is done with it
// (a session that ended). The last Frame read is invalid afterwards, and
// bytes buffered but not yet decoded are dropped; a later ReadFrame starts
// with a new buffer.
func (r *Reader) Release() {
	r.release(r.buf)
	r.buf, r.start, r.end = nil, 0, 0
	r.next()
}

func (r *Reader) compact() {
	if r.start == 0 {
		return
	}
	r.end = copy(r.buf, r.buf[r.start:r.end])
	r.start = 0
}

// fill reads more input, making room first: by moving the frame to the
// front of the buffer, then by growing it up to the largest frame the limits
// admit.
func (r *Reader) fill() error {
	if r.rerr != nil {
		err := r.rerr
		r.rerr = nil
		return err
	}
	if r.st == stStart && r.start == r.end && len(r.buf) <= initialBufSize {
		// Between frames with nothing buffered: wait without a buffer (or
		// the header offsets of the last frame).
		if w, ok := r.rd.(Waiter); ok {
			r.release(r.buf)
			r.buf, r.start, r.end, r.spans = nil, 0, 0, nil
			if err := w.WaitRead(); err != nil {
				return err
			}
		}
	}
	if r.buf == nil {
		r.buf = getSmall()
	}
	if r.end == len(r.buf) {
		r.compact()
	}
	if r.end == len(r.buf) {
		n := 2 * len(r.buf)
		if max := r.lim.maxFrame(); n > max {
			n = max
		}
		if n <= len(r.buf) {
			// Unreachable while the parse checks hold; refuse rather than grow.
			return fmt.Errorf("%w: frame larger than %d bytes", ErrBodyTooLarge, len(r.buf))
		}
		r.grow(n) // start is 0 after compact
	}
	for tries := 0; tries < 100; tries++ {
		n, err := r.rd.Read(r.buf[r.end:])
		r.end += n
		if n > 0 {
			r.rerr = err
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}
