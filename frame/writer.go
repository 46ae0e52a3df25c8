package frame

import (
	"io"
	"strconv"
)

// AppendFrame appends f, encoded for version v, to dst and returns the
// extended buffer. Header values are escaped as v requires (never on
// CONNECT, STOMP or CONNECTED). Any content-length field in f.Header is
// dropped and, when the body is not empty, the true length is written, so a
// frame can never claim a length it does not have.
func AppendFrame(dst []byte, f *Frame, v Version) []byte {
	dst = append(dst, f.Command...)
	dst = append(dst, '\n')
	raw := !escapes(f.Command)
	for _, h := range f.Header {
		if string(h.Key) == HdrContentLength {
			continue
		}
		dst = appendField(dst, h.Key, h.Value, v, raw)
	}
	if len(f.Body) > 0 {
		dst = AppendContentLength(dst, len(f.Body))
	}
	dst = append(dst, '\n')
	dst = append(dst, f.Body...)
	return append(dst, 0)
}

// AppendHeader appends one escaped "key:value\n" line for a frame that is
// not CONNECT, STOMP or CONNECTED.
func AppendHeader[T string | []byte](dst []byte, key string, value T, v Version) []byte {
	dst = appendEscaped(dst, key, v, false, true)
	dst = append(dst, ':')
	dst = appendEscaped(dst, value, v, false, false)
	return append(dst, '\n')
}

func appendField(dst, key, value []byte, v Version, raw bool) []byte {
	dst = appendEscaped(dst, key, v, raw, true)
	dst = append(dst, ':')
	dst = appendEscaped(dst, value, v, raw, false)
	return append(dst, '\n')
}

// AppendContentLength appends a "content-length:n\n" line.
func AppendContentLength(dst []byte, n int) []byte {
	dst = append(dst, HdrContentLength...)
	dst = append(dst, ':')
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\n')
}

// A Writer buffers encoded frames and writes them with one call to the
// underlying writer on Flush.
type Writer struct {
	w   io.Writer
	buf []byte
	ver Version
}

// NewWriter returns a Writer that encodes for STOMP 1.2 until SetVersion.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w, ver: V1_2} }

// SetVersion sets the version later frames are encoded for.
func (w *Writer) SetVersion(v Version) { w.ver = v }

// Append encodes f into the buffer.
func (w *Writer) Append(f *Frame) { w.buf = AppendFrame(w.buf, f, w.ver) }

// AppendHeartbeat buffers a bare end-of-line heart-beat.
func (w *Writer) AppendHeartbeat() { w.buf = append(w.buf, '\n') }

// Buffered returns the number of bytes waiting for Flush.
func (w *Writer) Buffered() int { return len(w.buf) }

// Flush writes everything buffered in one Write.
func (w *Writer) Flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	w.buf = w.buf[:0]
	return err
}

// WriteFrame appends f and flushes.
func (w *Writer) WriteFrame(f *Frame) error {
	w.Append(f)
	return w.Flush()
}
