package logs

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// ChunkReader reads an attempt's log as shipped to the store.
type ChunkReader interface {
	ReadLog(ctx context.Context, attemptID, from int64) ([]byte, int64, error)
}

// Chunks is the Source of the logs shipped to the store (Ship): attempts
// that ran on another machine.
type Chunks struct{ Store ChunkReader }

// Open reads a's shipped log. An attempt that shipped nothing has no
// output (ErrNoOutput).
func (c Chunks) Open(ctx context.Context, a record.TaskAttempt) (Log, error) {
	b, _, err := c.Store.ReadLog(ctx, a.ID, 0)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("attempt %d of %s: nothing shipped: %w", a.Attempt, a.Task, ErrNoOutput)
	}
	if err != nil {
		return nil, err
	}
	return memLog{bytes.NewReader(b)}, nil
}

type memLog struct{ *bytes.Reader }

func (l memLog) Size() int64  { return l.Reader.Size() }
func (l memLog) Close() error { return nil }

// Fallback opens a log from First, and from Then when First has none
// (ErrNoOutput): Fallback{Files{}, Chunks{st}} reads this machine's file
// when it is here, and what a remote worker shipped otherwise.
type Fallback struct{ First, Then Source }

// Open opens a's log from First, else from Then.
func (f Fallback) Open(ctx context.Context, a record.TaskAttempt) (Log, error) {
	l, err := f.First.Open(ctx, a)
	if !errors.Is(err, ErrNoOutput) {
		return l, err
	}
	return f.Then.Open(ctx, a)
}

var (
	_ Source = Chunks{}
	_ Source = Fallback{}
)
