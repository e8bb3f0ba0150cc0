package logs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/gantryhq/gantry/internal/record"
)

// Files reads the logs this machine's executor wrote, from the file each
// attempt record names (TaskAttempt.LogPath). Its zero value is ready.
type Files struct{}

// Open opens a's log file. An attempt with no path or no file yet has no
// output (ErrNoOutput); any other failure is the file system's error.
func (Files) Open(_ context.Context, a record.TaskAttempt) (Log, error) {
	if a.LogPath == "" {
		return nil, fmt.Errorf("attempt %d of %s: %w", a.Attempt, a.Task, ErrNoOutput)
	}
	f, err := os.Open(a.LogPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", ErrNoOutput, err)
	}
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &file{File: f, size: st.Size()}, nil
}

// file is an open log file and its size when opened.
type file struct {
	*os.File
	size int64
}

func (f *file) Size() int64 { return f.size }

var _ Source = Files{}
