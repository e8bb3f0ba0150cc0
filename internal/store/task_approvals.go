package store

import (
	"context"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

// TaskApprovalStore holds the questions approval tasks ask and the
// decisions people give on them.
type TaskApprovalStore interface {
	// OpenTaskApproval records a, which must be waiting, unless an
	// approval of its attempt is stored already; either way it returns
	// the approval as stored (an attempt resumed after a restart asks
	// nothing new). A zero CreatedAt is now.
	OpenTaskApproval(ctx context.Context, a record.TaskApproval) (record.TaskApproval, error)
	// GetTaskApproval returns the approval of an attempt, with who
	// approved it, or ErrNotFound.
	GetTaskApproval(ctx context.Context, attemptID int64) (record.TaskApproval, error)
	// ListTaskApprovals returns a run's approvals, oldest first, with who
	// approved each.
	ListTaskApprovals(ctx context.Context, runID int64) ([]record.TaskApproval, error)
	// ListTaskDecisions returns the decisions on an attempt's approval,
	// oldest first.
	ListTaskDecisions(ctx context.Context, attemptID int64) ([]record.TaskDecision, error)
	// DecideTaskApproval records d and ev in one transaction: an approval
	// that reaches the required count becomes approved, a rejection makes
	// it rejected at once. It returns the approval as now stored.
	// ErrNotFound when there is no such approval; ErrConflict when it is
	// not waiting or d.Actor has decided on it already.
	DecideTaskApproval(ctx context.Context, d record.TaskDecision, ev *record.AuditEvent) (record.TaskApproval, error)
	// EndTaskApproval moves a waiting approval to state (timed out or
	// cancelled) at at (now when zero). ErrNotFound when there is none;
	// ErrConflict when it is not waiting: a decision came first.
	EndTaskApproval(ctx context.Context, attemptID int64, state record.TaskApprovalState, at time.Time) error
}

// ReleaseStore holds what delivery pipelines shipped.
type ReleaseStore interface {
	// CreateRelease inserts r (ID set; a zero CreatedAt is now) and ev in
	// one transaction. A second release of the same run is ErrConflict.
	CreateRelease(ctx context.Context, r *record.Release, ev *record.AuditEvent) error
	// ListReleases returns a pipeline's releases into env, newest first;
	// limit 0 means 50.
	ListReleases(ctx context.Context, pipeline, env string, limit int) ([]record.Release, error)
	// GetRelease returns one release, or ErrNotFound.
	GetRelease(ctx context.Context, id int64) (record.Release, error)
}
