package store

import (
	"context"
	"errors"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

// ErrFenced is what a fenced write returns, having committed nothing, when
// the lease its context names is no longer the caller's: another process
// took it, or it expired.
var ErrFenced = errors.New("fenced: the lease is no longer held")

// LeaseStore holds leases (the leader lease), the workers registry and the
// log chunks shipped by workers.
//
// Lease times are the clock of the process calling the store: AcquireLease
// is passed the time it counts from, and a fenced write compares the
// lease's expiry with the time the store reads (time.Now) inside the
// write's transaction. Processes sharing a store are assumed to keep their
// clocks within a small fraction of the lease TTL of each other (NTP).
type LeaseStore interface {
	// AcquireLease takes lease name for holder until at+ttl when it is
	// free or expired at at (its Token then grows by one), or renews it
	// when holder holds it (same Token), atomically. When another holder
	// holds it, it returns that lease and ErrConflict.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration, at time.Time) (record.Lease, error)
	// ReleaseLease lets lease name go when holder holds it with token, so
	// another process takes it at once; otherwise it does nothing.
	ReleaseLease(ctx context.Context, name, holder string, token int64) error
	// GetLease returns lease name as stored (maybe expired), or
	// ErrNotFound when nobody ever took it.
	GetLease(ctx context.Context, name string) (record.Lease, error)

	// RegisterWorker inserts w, or overwrites the worker with w's ID.
	RegisterWorker(ctx context.Context, w record.Worker) error
	// HeartbeatWorker records that worker id runs running attempts at at,
	// or returns ErrNotFound for a worker never registered.
	HeartbeatWorker(ctx context.Context, id string, running int, at time.Time) error
	// ListWorkers returns every registered worker by ID.
	ListWorkers(ctx context.Context) ([]record.Worker, error)

	// AppendLogChunk stores c (a zero CreatedAt is now). A chunk already
	// stored with c's attempt and Seq is ErrConflict.
	AppendLogChunk(ctx context.Context, c record.LogChunk) error
	// ReadLog returns the bytes of attempt's shipped log from byte offset
	// from to its end as shipped so far, and the log's shipped size.
	// An attempt with no chunks returns ErrNotFound.
	ReadLog(ctx context.Context, attemptID, from int64) ([]byte, int64, error)
	// PruneLogChunks deletes the chunks stored before before and returns
	// how many.
	PruneLogChunks(ctx context.Context, before time.Time) (int64, error)
}

// Fence names the lease a write is made under: the write commits only if,
// in its own transaction, lease Lease is still held by Holder with Token
// and has not expired.
type Fence struct {
	Lease  string
	Holder string
	Token  int64
}

type fenceKey struct{}

// WithFence returns ctx whose fenced writes are made under f. The writes
// that check a fence are those a process makes because it leads: creating
// a run (the scheduler's), saving an alert or an alert group (paging),
// pruning alert history and log chunks (maintenance). The same methods
// called with a context without a fence are not checked.
func WithFence(ctx context.Context, f Fence) context.Context {
	return context.WithValue(ctx, fenceKey{}, f)
}

// FenceFrom returns the fence of ctx, if any. WithFence(ctx, Fence{})
// takes a fence ctx carries away.
func FenceFrom(ctx context.Context) (Fence, bool) {
	f, ok := ctx.Value(fenceKey{}).(Fence)
	return f, ok && f.Lease != ""
}
