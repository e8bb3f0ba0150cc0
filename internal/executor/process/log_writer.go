package process

import (
	"bytes"
	"io"
	"sync"

	"github.com/gantryhq/gantry/internal/executor"
)

// maxLine bounds the bytes held back for the follower waiting for a
// newline; a longer line is sent to it in pieces. Redaction happens before,
// on the stream, so a piece boundary never splits a secret.
const maxLine = 64 << 10

// lineWriter receives a task's combined output, redacts it as a stream and
// writes it to the log and, line by line and prefixed, to a follower.
// exec.Cmd calls Write from one goroutine at a time; Flush is called once
// that goroutine is done.
type lineWriter struct {
	log io.Writer
	red *redactor // nil: nothing to redact

	follow   io.Writer // nil: no follower
	followMu *sync.Mutex
	prefix   string

	out     []byte // scratch for the redacted chunk
	partial []byte // the follower's unfinished line
	lines   []byte // scratch for the follower's prefixed lines
}

func newLineWriter(log io.Writer, a executor.Attempt, followMu *sync.Mutex) *lineWriter {
	return &lineWriter{log: log, red: newRedactor(a.Redact), follow: a.Follow, followMu: followMu, prefix: a.Prefix}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	if w.red != nil {
		w.out = w.red.write(w.out[:0], p)
		p = w.out
	}
	w.emit(p)
	return n, nil
}

// Flush writes what the redactor still holds and a trailing line that has
// no newline.
func (w *lineWriter) Flush() {
	if w.red != nil {
		w.out = w.red.flush(w.out[:0])
		w.emit(w.out)
	}
	if w.follow != nil && len(w.partial) > 0 {
		w.lines = append(append(append(w.lines[:0], w.prefix...), w.partial...), '\n')
		w.partial = w.partial[:0]
		w.toFollower(w.lines)
	}
}

// emit writes redacted bytes to the log and the follower.
func (w *lineWriter) emit(p []byte) {
	if len(p) == 0 {
		return
	}
	// A log write error must not stall the task: its output is drained
	// regardless, and the attempt's outcome is the task's own.
	_, _ = w.log.Write(p)
	if w.follow == nil {
		return
	}
	w.lines = w.lines[:0]
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.partial = append(w.partial, p...)
			if len(w.partial) >= maxLine {
				w.lines = append(append(append(w.lines, w.prefix...), w.partial...), '\n')
				w.partial = w.partial[:0]
			}
			break
		}
		w.lines = append(append(append(append(w.lines, w.prefix...), w.partial...), p[:i]...), '\n')
		w.partial = w.partial[:0]
		p = p[i+1:]
	}
	if len(w.lines) > 0 {
		w.toFollower(w.lines)
	}
}

// toFollower writes whole lines to the follower. A follower that panics is
// dropped: it runs on exec's copying goroutine, where a panic would take the
// whole process down.
func (w *lineWriter) toFollower(b []byte) {
	w.followMu.Lock()
	defer w.followMu.Unlock()
	defer func() {
		if recover() != nil {
			w.follow = nil
		}
	}()
	_, _ = w.follow.Write(b)
}
