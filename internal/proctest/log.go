package proctest

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"sync"
)

// TailLines is how many of the last log lines a Proc keeps.
const TailLines = 40

// maxLine bounds one kept log line; the rest of a longer line is dropped.
const maxLine = 1 << 20

// listenRe matches an slog text line's message and the addr right after it.
var listenRe = regexp.MustCompile(`msg=("(?:[^"\\]|\\.)*"|\S+) addr=(\S+)`)

// A logWriter takes a process's stderr, keeps its last lines, and notes
// the addresses of the listeners it announces. Write is called by one
// goroutine at a time (exec's copier); the rest is guarded by mu.
type logWriter struct {
	partial []byte // a line not yet ended, owned by the writer

	mu    sync.Mutex
	want  []string          // listener messages not yet seen
	addrs map[string]string // message -> address
	ready chan struct{}     // closed when want is empty
	tail  []string
}

func newLogWriter(listeners []string) *logWriter {
	w := &logWriter{want: slices.Clone(listeners), addrs: map[string]string{}, ready: make(chan struct{})}
	if len(w.want) == 0 {
		close(w.ready)
	}
	return w
}

func (w *logWriter) Write(b []byte) (int, error) {
	n := len(b)
	for {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			w.partial = append(w.partial, b[:min(len(b), maxLine-len(w.partial))]...)
			return n, nil
		}
		w.partial = append(w.partial, b[:min(i, maxLine-len(w.partial))]...)
		w.line(string(w.partial))
		w.partial = w.partial[:0]
		b = b[i+1:]
	}
}

// flush keeps a last line that had no newline; called once the copier is done.
func (w *logWriter) flush() {
	if len(w.partial) > 0 {
		w.line(string(w.partial))
		w.partial = nil
	}
}

func (w *logWriter) line(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if m := listenRe.FindStringSubmatch(s); m != nil {
		msg := m[1]
		if u, err := strconv.Unquote(msg); err == nil {
			msg = u
		}
		w.addrs[msg] = m[2]
		if i := slices.Index(w.want, msg); i >= 0 {
			w.want = slices.Delete(w.want, i, i+1)
			if len(w.want) == 0 {
				close(w.ready)
			}
		}
	}
	if w.tail = append(w.tail, s); len(w.tail) > TailLines {
		w.tail = w.tail[1:]
	}
}

func (w *logWriter) addr(msg string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.addrs[msg]
}

func (w *logWriter) lines() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.tail)
}
