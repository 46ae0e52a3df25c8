package frame

// Header names the specification defines.
const (
	HdrAcceptVersion = "accept-version"
	HdrAck           = "ack"
	HdrContentLength = "content-length"
	HdrContentType   = "content-type"
	HdrDestination   = "destination"
	HdrHeartBeat     = "heart-beat"
	HdrHost          = "host"
	HdrID            = "id"
	HdrLogin         = "login"
	HdrMessage       = "message"
	HdrMessageID     = "message-id"
	HdrPasscode      = "passcode"
	HdrReceipt       = "receipt"
	HdrReceiptID     = "receipt-id"
	HdrServer        = "server"
	HdrSession       = "session"
	HdrSubscription  = "subscription"
	HdrTransaction   = "transaction"
	HdrVersion       = "version"
)

// A Field is one header line, already unescaped.
type Field struct {
	Key, Value []byte
}

// Header is a frame's header lines in the order they came. Repeated keys are
// kept; as the specification says, the first one wins.
type Header []Field

// Lookup returns the value of the first field named key, without allocating.
func (h Header) Lookup(key string) ([]byte, bool) {
	for i := range h {
		if string(h[i].Key) == key {
			return h[i].Value, true
		}
	}
	return nil, false
}

// Get returns the value of the first field named key as a new string, or ""
// when there is none.
func (h Header) Get(key string) string {
	v, _ := h.Lookup(key)
	return string(v)
}

// Has reports whether a field named key is present.
func (h Header) Has(key string) bool {
	_, ok := h.Lookup(key)
	return ok
}

// Add appends a field; it does not replace an existing one.
func (h *Header) Add(key, value string) {
	*h = append(*h, Field{Key: []byte(key), Value: []byte(value)})
}

// Set replaces the value of the first field named key, or appends one.
func (h *Header) Set(key, value string) {
	for i := range *h {
		if string((*h)[i].Key) == key {
			(*h)[i].Value = []byte(value)
			return
		}
	}
	h.Add(key, value)
}

// Clone returns a deep copy, safe to keep after the Reader moves on.
func (h Header) Clone() Header {
	n := 0
	for _, f := range h {
		n += len(f.Key) + len(f.Value)
	}
	buf := make([]byte, 0, n)
	out := make(Header, len(h))
	for i, f := range h {
		buf = append(buf, f.Key...)
		k := buf[len(buf)-len(f.Key):]
		buf = append(buf, f.Value...)
		out[i] = Field{Key: k[:len(k):len(k)], Value: buf[len(buf)-len(f.Value):]}
	}
	return out
}

// A Frame is one STOMP frame. Command is one of the package's command
// constants. Frames returned by a Reader point into its buffer; see the
// package documentation.
type Frame struct {
	Command string
	Header  Header
	Body    []byte
}

// New returns a frame with the given command and header key/value pairs.
func New(command string, kv ...string) *Frame {
	f := &Frame{Command: command, Header: make(Header, 0, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Header.Add(kv[i], kv[i+1])
	}
	return f
}

// Clone returns a deep copy of f.
func (f *Frame) Clone() *Frame {
	return &Frame{Command: f.Command, Header: f.Header.Clone(), Body: append([]byte(nil), f.Body...)}
}
