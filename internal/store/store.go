package store

import (
	"context"
	"errors"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

// Sentinel errors every driver maps its own errors to.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// Store is everything Gantry persists.
type Store interface {
	// CreateRun inserts r (its ID is set) and one RunTask per name in tasks,
	// in state pending, in one transaction. A second run with Trigger
	// schedule for the same pipeline, env and IntervalStart is ErrConflict:
	// a scheduled interval runs once, whoever schedules it.
	CreateRun(ctx context.Context, r *record.Run, tasks []string) error
	// GetRun returns the run with that ID, or ErrNotFound.
	GetRun(ctx context.Context, id int64) (record.Run, error)
	// ListRuns returns runs newest first.
	ListRuns(ctx context.Context, f RunFilter) ([]record.Run, error)
	// ListRunTasks returns the run's tasks in the order they were created.
	ListRunTasks(ctx context.Context, runID int64) ([]record.RunTask, error)
	// ListAttempts returns a run's attempts ordered by ID; task "" means all.
	ListAttempts(ctx context.Context, runID int64, task string) ([]record.TaskAttempt, error)
	// GetAttempt returns one attempt, or ErrNotFound.
	GetAttempt(ctx context.Context, id int64) (record.TaskAttempt, error)
	// Apply commits every change in b in one transaction, or none of them.
	Apply(ctx context.Context, b *Batch) error
	// ListDeadLetters returns dead letters newest first.
	ListDeadLetters(ctx context.Context, f DeadLetterFilter) ([]record.DeadLetter, error)
	// GetDeadLetter returns one dead letter, or ErrNotFound.
	GetDeadLetter(ctx context.Context, id int64) (record.DeadLetter, error)
	// MarkDeadLetterReplayed records that by replayed the dead letter at at
	// (now when at is zero). It returns ErrNotFound when there is no such dead
	// letter and ErrConflict when it was already replayed, so two replays
	// racing for one dead letter cannot both win.
	MarkDeadLetterReplayed(ctx context.Context, id int64, by string, at time.Time) error
	// FindCoveringRun returns the newest succeeded run of pipeline in env
	// whose interval covers [start, end), or ErrNotFound.
	FindCoveringRun(ctx context.Context, pipeline, env string, start, end time.Time) (record.Run, error)

	// ListQueues returns every queue holding a run that waits to start
	// (queued or waiting_upstream): the pipelines' own queues by pipeline
	// name, then the backfills' by ID. Its cost follows the number of
	// queues, not of runs.
	ListQueues(ctx context.Context) ([]Queue, error)
	// ListQueued returns the runs of one queue that wait to start, oldest
	// (lowest ID) first, as f selects. Its cost follows f.Limit, not the
	// queue's length (but for f.Trigger, which it scans the queue for).
	ListQueued(ctx context.Context, f QueueFilter) ([]record.Run, error)
	// CountWaiting counts the runs that wait to start (queued or
	// waiting_upstream), from the queues' indexes: the queue-depth gauge
	// reads it without loading the runs.
	CountWaiting(ctx context.Context) (int, error)

	// CreateBackfill inserts b (ID set, Total = len(runs)) and its runs
	// (IDs set, BackfillID = b.ID), each with one pending RunTask per name
	// in tasks, in one transaction.
	CreateBackfill(ctx context.Context, b *record.Backfill, runs []*record.Run, tasks []string) error
	// GetBackfill returns one backfill, or ErrNotFound.
	GetBackfill(ctx context.Context, id int64) (record.Backfill, error)
	// ListBackfills returns backfills newest first; pipeline "" means all.
	ListBackfills(ctx context.Context, pipeline string, limit int) ([]record.Backfill, error)
	// SetBackfillState changes a backfill's state, or returns ErrNotFound.
	SetBackfillState(ctx context.Context, id int64, s record.BackfillState) error

	// SetPaused records that pipeline is paused or resumed.
	SetPaused(ctx context.Context, pipeline string, paused bool, by string, at time.Time) error
	// ListPipelineStates returns every pipeline with a recorded state.
	ListPipelineStates(ctx context.Context) ([]record.PipelineState, error)

	// DeployStore holds revisions, deployments, approvals, tokens and the
	// audit log (deploy.go).
	DeployStore
	// AlertStore holds alerts, their groups, deliveries, silences and
	// test-fires (alerts.go).
	AlertStore
	// SummaryStore holds a dashboard's aggregate reads (summary.go).
	SummaryStore
	// TaskApprovalStore holds approval tasks' questions and decisions
	// (task_approvals.go).
	TaskApprovalStore
	// ReleaseStore holds what delivery pipelines shipped
	// (task_approvals.go).
	ReleaseStore
	// LeaseStore holds leases, the workers registry and shipped log
	// chunks (cluster.go).
	LeaseStore
	// ClaimStore holds the task attempts offered to workers (claims.go).
	ClaimStore

	// Close releases the store's connections.
	Close() error
}

// Batch is a set of changes committed together.
type Batch struct {
	// Run, when set, overwrites the mutable fields of the run with its ID:
	// State, StartedAt, FinishedAt, Error.
	Run *record.Run
	// Tasks overwrite State, Attempts, NextAttempt and UpdatedAt of the
	// RunTask keyed by (RunID, Task).
	Tasks []record.RunTask
	// Insert adds new attempts and sets their IDs.
	Insert []*record.TaskAttempt
	// Update overwrites every field but ID, RunID, Task and Attempt of the
	// attempts with these IDs.
	Update []*record.TaskAttempt
	// DeadLetters are inserted and their IDs set.
	DeadLetters []*record.DeadLetter
	// Audit events are appended with the changes they record.
	Audit []*record.AuditEvent
	// Replayed, when set, marks a dead letter replayed with the batch: the
	// batch is ErrConflict, and commits nothing, when it was replayed
	// already (two replays racing cannot both win), ErrNotFound when there
	// is no such dead letter.
	Replayed *Replayed
}

// Replayed says who replayed a dead letter, and when (now when zero).
type Replayed struct {
	DeadLetter int64
	By         string
	At         time.Time
}

// RunFilter narrows ListRuns. Zero fields do not filter.
type RunFilter struct {
	Pipeline   string
	Env        *string // nil: every environment; "" is the working tree's
	Revision   string
	States     []record.RunState
	Trigger    record.Trigger
	BackfillID int64
	Limit      int   // 0 means 50; < 0 means no limit
	BeforeID   int64 // only runs with ID < BeforeID (pagination)
	Since      time.Time
}

// Queue is a line of runs waiting to start that the server works off on
// one budget: a pipeline's runs outside any backfill (its max_active_runs),
// or one backfill's runs (its parallelism).
type Queue struct {
	Pipeline   string // the pipeline whose runs outside any backfill queue here; "" for a backfill
	BackfillID int64  // the backfill whose runs queue here; 0 for a pipeline's
}

// QueueFilter selects the runs of one queue that wait to start.
type QueueFilter struct {
	Queue
	Trigger record.Trigger // "": any
	AfterID int64          // only runs with ID > AfterID (pagination)
	Limit   int            // 0 means 50
}

// DeadLetterFilter narrows ListDeadLetters. Zero fields do not filter.
type DeadLetterFilter struct {
	Pipeline   string
	Env        *string // the environment of the dead letter's run; nil: every one, "" is the working tree's
	Unreplayed bool
	Limit      int // 0 means 50
}
