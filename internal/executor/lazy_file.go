package executor

import (
	"fmt"
	"os"
	"path/filepath"
)

// lazyFile is a log file created, for appending, on its first write.
type lazyFile struct {
	path string
	f    *os.File
	err  error
}

// Write appends p, creating the file first if needed. A log that cannot be
// written drops output rather than stall the task.
func (l *lazyFile) Write(p []byte) (int, error) {
	if l.f == nil && l.err == nil {
		l.f, l.err = openLog(l.path)
	}
	if l.err != nil {
		return len(p), nil
	}
	if _, err := l.f.Write(p); err != nil {
		return len(p), nil
	}
	return len(p), nil
}

// Close closes the file if it was made.
func (l *lazyFile) Close() error {
	if l.f == nil {
		return nil
	}
	return l.f.Close()
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
