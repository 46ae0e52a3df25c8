// Package frame is a STOMP 1.0, 1.1 and 1.2 codec with no dependencies
// beyond the standard library.
//
// A [Reader] decodes frames from a byte stream: a frame may arrive split over
// many reads, several frames (and bare end-of-line heart-beats) may arrive in
// one, and bodies with a content-length may hold NUL bytes. The reader works
// on sub-slices of its own buffer and checks every limit (command and header
// line length, header count, body size; see [Limits]) before it grows that
// buffer, so a hostile peer cannot make it allocate more than the limits
// allow. Header escaping follows the negotiated [Version]: none in 1.0 and on
// CONNECT/CONNECTED frames, \n \c \\ in 1.1, and \r as well in 1.2; an
// undefined escape is an error.
//
// [AppendFrame] and [AppendHeader] encode by appending to a caller's buffer,
// escaping header values so that no value can inject a header line; a
// [Writer] buffers encoded frames for one flush.
//
// A decoded [Frame] points into the Reader's buffer and is valid only until
// the next call to [Reader.ReadFrame]; copy what must outlive it. Readers and
// Writers are not safe for concurrent use; the package-level functions are.
package frame
