package wsconn

import (
	"encoding/binary"
	"errors"
	"io"
)

// ErrProtocol is returned for a frame header no peer may send: reserved
// bits set, an unknown opcode, or a control frame longer than 125 bytes.
var ErrProtocol = errors.New("wsconn: protocol error")

// A Reader reads the payloads of the WebSocket frames on R as one stream.
type Reader struct {
	R io.Reader
	// OnPing, when set, gets each ping's payload (valid only during the
	// call); the caller answers it with a pong.
	OnPing func(payload []byte)

	hdr  [14]byte
	nh   int   // header bytes collected
	left int64 // payload bytes of the current frame not yet read
	ctl  bool  // the current frame is a control frame
	op   byte
	mask bool
	key  [4]byte
	kpos int

	ctlBuf [125]byte
	nctl   int

	closed    bool
	CloseCode uint16 // the code of the close frame that ended the stream, or 0
	err       error  // R's error, reported once the bytes before it are
}

// NewReader returns a Reader on r.
func NewReader(r io.Reader) *Reader { return &Reader{R: r} }

// Read reads from R into p and returns the payload bytes among them,
// moved to the front of p. It returns io.EOF after a close frame.
func (r *Reader) Read(p []byte) (int, error) {
	for {
		if r.closed {
			return 0, io.EOF
		}
		if r.err != nil {
			err := r.err
			r.err = nil
			return 0, err
		}
		if len(p) == 0 {
			return 0, nil
		}
		n, err := r.R.Read(p)
		w, perr := r.strip(p[:n])
		if perr != nil {
			return w, perr
		}
		if err != nil {
			r.err = err
		}
		if w > 0 {
			return w, nil
		}
	}
}

// strip removes headers and control frames from b, moving payload bytes to
// its front, and returns how many there are.
func (r *Reader) strip(b []byte) (int, error) {
	w := 0
	for i := 0; i < len(b) && !r.closed; {
		if !r.inPayload() {
			c, done, err := r.header(b[i:])
			i += c
			if err != nil {
				return w, err
			}
			if !done {
				continue
			}
			if r.left == 0 { // an empty frame ends where it starts
				r.endFrame()
			}
			continue
		}
		k := int64(len(b) - i)
		if k > r.left {
			k = r.left
		}
		seg := b[i : i+int(k)]
		if r.mask {
			r.kpos = maskBytes(seg, r.key, r.kpos)
		}
		if r.ctl {
			r.nctl += copy(r.ctlBuf[r.nctl:], seg)
		} else {
			w += copy(b[w:], seg)
		}
		i += int(k)
		r.left -= k
		if r.left == 0 {
			r.endFrame()
		}
	}
	return w, nil
}

// inPayload reports whether a header has been read and its payload is being
// read; between frames nh counts the next header's bytes.
func (r *Reader) inPayload() bool { return r.nh < 0 }

// header collects header bytes from b. It returns how many it used and
// whether the header is complete.
func (r *Reader) header(b []byte) (used int, done bool, err error) {
	need := 2
	for {
		if r.nh >= 2 {
			need = 2
			switch r.hdr[1] & 0x7f {
			case 126:
				need += 2
			case 127:
				need += 8
			}
			if r.hdr[1]&0x80 != 0 {
				need += 4
			}
		}
		if r.nh == need {
			break
		}
		if used == len(b) {
			return used, false, nil
		}
		c := copy(r.hdr[r.nh:need], b[used:])
		r.nh += c
		used += c
	}
	h := r.hdr[:r.nh]
	if h[0]&0x70 != 0 {
		return used, false, ErrProtocol
	}
	r.op = h[0] & 0x0f
	r.ctl = r.op >= 0x8
	if r.op > OpBinary && r.op < OpClose || r.op > OpPong {
		return used, false, ErrProtocol
	}
	r.mask = h[1]&0x80 != 0
	p := 2
	switch l := h[1] & 0x7f; l {
	case 126:
		r.left = int64(binary.BigEndian.Uint16(h[2:]))
		p = 4
	case 127:
		r.left = int64(binary.BigEndian.Uint64(h[2:]) &^ (1 << 63))
		p = 10
	default:
		r.left = int64(l)
	}
	if r.ctl && r.left > 125 {
		return used, false, ErrProtocol
	}
	if r.mask {
		copy(r.key[:], h[p:])
	}
	r.kpos, r.nctl, r.nh = 0, 0, -1
	return used, true, nil
}

// endFrame finishes the current frame: a control frame is acted on.
func (r *Reader) endFrame() {
	r.nh = 0
	if !r.ctl {
		return
	}
	payload := r.ctlBuf[:r.nctl]
	switch r.op {
	case OpClose:
		if len(payload) >= 2 {
			r.CloseCode = binary.BigEndian.Uint16(payload)
		}
		r.closed = true
	case OpPing:
		if r.OnPing != nil {
			r.OnPing(payload)
		}
	}
	r.ctl = false
}
