package process

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gantryhq/gantry/internal/executor"
)

// maxLogTail bounds the tail kept of a capped log. The tail is held in
// memory until the attempt ends, so it is small beside the head, which is
// written as it comes.
const maxLogTail = 16 << 20

// lazyFile is a log file created, for appending, on its first write. It
// keeps at most limit bytes of what it is given (plus one line saying what
// was cut): the head as it comes, and the last part, from a ring buffer, on
// Close.
type lazyFile struct {
	path string
	f    *os.File
	err  error

	limit int64
	head  int64 // bytes written as they come
	n     int64 // bytes received
	last  byte  // the last byte of the head
	tail  ring
}

func newLazyFile(path string, limit int64) *lazyFile {
	if limit <= 0 {
		limit = executor.DefaultLogLimit
	}
	tail := min(limit/2, maxLogTail)
	return &lazyFile{path: path, limit: limit, head: limit - tail, tail: ring{max: int(tail)}}
}

// Write appends p, creating the file first if needed. A log that cannot be
// written drops output rather than stall the task.
func (l *lazyFile) Write(p []byte) (int, error) {
	n := len(p)
	if n == 0 {
		return 0, nil
	}
	if l.n < l.head {
		k := min(int64(len(p)), l.head-l.n)
		l.write(p[:k])
		l.last = p[k-1]
		p = p[k:]
	}
	l.n += int64(n)
	if len(p) > 0 && l.err == nil {
		l.tail.write(p)
	}
	return n, nil
}

func (l *lazyFile) write(p []byte) {
	if len(p) == 0 {
		return
	}
	if l.f == nil && l.err == nil {
		l.f, l.err = openLog(l.path)
	}
	if l.err == nil {
		_, _ = l.f.Write(p)
	}
}

// Close writes the tail, after a line saying how much was cut if anything
// was, and closes the file if it was made.
func (l *lazyFile) Close() error {
	a, b := l.tail.parts()
	if cut := l.n - l.head - int64(len(a)+len(b)); cut > 0 {
		// Start the tail on a line of its own when one begins near.
		if i := bytes.IndexByte(a[:min(len(a), maxLine)], '\n'); i >= 0 {
			a, cut = a[i+1:], cut+int64(i+1)
		}
		mark := fmt.Sprintf("… gantry: %s of output cut here (log capped at %s; head and tail kept) …\n",
			humanBytes(cut), humanBytes(l.limit))
		if l.last != '\n' {
			mark = "\n" + mark
		}
		l.write([]byte(mark))
	}
	l.write(a)
	l.write(b)
	l.tail = ring{}
	if l.f == nil {
		return nil
	}
	return l.f.Close()
}

// humanBytes is formatBytes for people: "812.3 MiB".
func humanBytes(n int64) string {
	s := formatBytes(n)
	if s[len(s)-1] == 'B' {
		return s[:len(s)-1] + " B"
	}
	return s[:len(s)-2] + " " + s[len(s)-2:] + "B"
}

// ring keeps the last max bytes written to it.
type ring struct {
	max int
	buf []byte // grows to max, then wraps
	w   int    // once full, where the next byte goes
}

func (r *ring) write(p []byte) {
	if len(p) > r.max {
		p = p[len(p)-r.max:]
	}
	if room := r.max - len(r.buf); room > 0 {
		k := min(room, len(p))
		if len(r.buf)+k > cap(r.buf) {
			grown := make([]byte, len(r.buf), min(r.max, max(2*cap(r.buf), len(r.buf)+k, 4096)))
			copy(grown, r.buf)
			r.buf = grown
		}
		r.buf = append(r.buf, p[:k]...)
		p = p[k:]
	}
	for len(p) > 0 {
		k := copy(r.buf[r.w:], p)
		p = p[k:]
		r.w = (r.w + k) % r.max
	}
}

// parts returns what the ring holds, oldest first.
func (r *ring) parts() ([]byte, []byte) {
	if len(r.buf) < r.max {
		return r.buf, nil
	}
	return r.buf[r.w:], r.buf[:r.w]
}

func openLog(path string) (*os.File, error) {
	if path == "" {
		return os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	return f, nil
}
