package logs

import (
	"context"
	"errors"
	"io"

	"github.com/gantryhq/gantry/internal/record"
)

// ErrNoOutput says an attempt has no log yet: it wrote nothing, or its
// log is gone. Callers show it as an empty log.
var ErrNoOutput = errors.New("no output")

// Source opens attempts' logs.
type Source interface {
	// Open returns a's log as far as it is written now, or an error
	// wrapping ErrNoOutput when there is none. The caller closes it.
	Open(ctx context.Context, a record.TaskAttempt) (Log, error)
}

// Log is an attempt's log as it was when opened. Bytes written since are
// read by opening it again.
type Log interface {
	io.ReaderAt
	io.Closer
	// Size is the log's length in bytes when it was opened.
	Size() int64
}

// From returns a reader of l's bytes from off to the size it was opened
// with; an offset beyond that reads nothing.
func From(l Log, off int64) io.Reader {
	return io.NewSectionReader(l, off, max(l.Size()-off, 0))
}
