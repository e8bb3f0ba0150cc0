package api

import (
	"context"
	"errors"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// Service is what the API serves; the server implements it. Errors it
// returns are mapped to HTTP statuses: ErrInvalid → 400, store.ErrNotFound
// → 404, store.ErrConflict → 409, anything else → 500.
type Service interface {
	// Pipelines lists the loaded pipelines.
	Pipelines(ctx context.Context) ([]Pipeline, error)
	ListRuns(ctx context.Context, f store.RunFilter) ([]record.Run, error)
	GetRun(ctx context.Context, id int64) (record.Run, []record.RunTask, error)
	ListAttempts(ctx context.Context, runID int64, task string) ([]record.TaskAttempt, error)
	// Trigger creates a manual run and returns it, queued.
	Trigger(ctx context.Context, req TriggerRequest) (record.Run, error)
	// RollbackRelease queues a run that ships an earlier release of a
	// delivery pipeline into the server's environment again.
	RollbackRelease(ctx context.Context, req ReleaseRollbackRequest) (record.Run, error)
	// Cancel cancels a run that is not final.
	Cancel(ctx context.Context, runID int64, actor string) (record.Run, error)
	// Backfill creates one run per interval (or only plans them when DryRun).
	Backfill(ctx context.Context, req BackfillRequest) (BackfillStatus, error)
	GetBackfill(ctx context.Context, id int64) (BackfillStatus, error)
	CancelBackfill(ctx context.Context, id int64, actor string) (BackfillStatus, error)
	ListDeadLetters(ctx context.Context, f store.DeadLetterFilter) ([]record.DeadLetter, error)
	GetDeadLetter(ctx context.Context, id int64) (record.DeadLetter, error)
	// Replay re-runs a dead letter's task and its downstream in its run,
	// on the revision the run is pinned to. A revision rolled back in the
	// run's environment since is ErrConflict unless force.
	Replay(ctx context.Context, id int64, actor string, force bool) (record.Run, error)
	// SetPaused pauses or resumes a pipeline's schedule.
	SetPaused(ctx context.Context, pipeline string, paused bool, actor string) error
	// Reload re-reads the project; broken files keep their previous version.
	Reload(ctx context.Context) (ReloadResult, error)
	// Ready reports why the server is not ready (store unreachable,
	// scheduler not running), or nil.
	Ready(ctx context.Context) error
}

// ErrInvalid marks a request the service refuses as malformed; wrap it
// with a message that says what is wrong.
var ErrInvalid = errors.New("invalid request")

// FieldError is an ErrInvalid about one request field.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap makes a FieldError an ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// Pipeline is a loaded pipeline as the API shows it.
type Pipeline struct {
	Name        string    `json:"name"`
	File        string    `json:"file"`
	Owner       string    `json:"owner,omitempty"`
	Description string    `json:"description,omitempty"`
	Cron        string    `json:"cron,omitempty"`
	Timezone    string    `json:"timezone,omitempty"`
	After       []string  `json:"after,omitempty"`
	Tasks       []string  `json:"tasks"`
	Env         string    `json:"env,omitempty"`      // the environment the server runs
	Revision    string    `json:"revision,omitempty"` // the deployed revision it runs; "" for the working tree
	Paused      bool      `json:"paused"`
	NextRun     time.Time `json:"next_run,omitzero"`
	Error       string    `json:"error,omitempty"` // the file is broken; the previous version runs
	// Spec is the pipeline as it runs, for the dashboard (its SLA, DAG,
	// resources); never sent as JSON.
	Spec *spec.Pipeline `json:"-"`
	// State is active, paused, or broken (Error says why); see
	// PipelineRuns for the fields after it.
	State        string          `json:"state,omitempty"`
	LastRunID    int64           `json:"last_run_id,omitempty"`
	LastRunState record.RunState `json:"last_run_state,omitempty"`
	LastSuccess  time.Time       `json:"last_success,omitzero"` // when its last succeeded run ended
	// FreshnessSeconds is sla.freshness; Freshness is fresh or stale by
	// it (LastSuccess older), or empty without one.
	FreshnessSeconds float64 `json:"freshness_seconds,omitempty"`
	Freshness        string  `json:"freshness,omitempty"`
}

// TriggerRequest asks for a manual run.
type TriggerRequest struct {
	Pipeline string            `json:"pipeline"`
	Params   map[string]string `json:"params,omitempty"`
	Date     string            `json:"date,omitempty"` // YYYY-MM-DD in the pipeline's zone
	Start    time.Time         `json:"interval_start,omitzero"`
	End      time.Time         `json:"interval_end,omitzero"`
	Actor    string            `json:"-"`
}

// BackfillRequest asks for runs over a range of dates.
type BackfillRequest struct {
	Pipeline string `json:"pipeline"`
	From     string `json:"from"` // YYYY-MM-DD, or an instant (YYYY-MM-DDTHH:MM in the pipeline's zone, RFC 3339)
	To       string `json:"to"`   // YYYY-MM-DD, inclusive; or an instant, exclusive
	Parallel int    `json:"parallel,omitempty"`
	DryRun   bool   `json:"dry_run,omitempty"`
	Actor    string `json:"-"`
}

// BackfillStatus is a backfill and how far it got.
type BackfillStatus struct {
	Backfill  record.Backfill `json:"backfill"`
	Intervals []Interval      `json:"intervals,omitempty"` // planned, for a dry run
	Done      int             `json:"done"`
	Failed    int             `json:"failed"`
	Cancelled int             `json:"cancelled"`
	Running   int             `json:"running"`
	ETA       time.Duration   `json:"eta_ns,omitempty"`
}

// Interval is a logical interval [Start, End).
type Interval struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// ReloadResult says what a reload changed.
type ReloadResult struct {
	Loaded []string `json:"loaded"`
	Errors []string `json:"errors,omitempty"` // file:line:col: message
	// Notes say what the reload did not change and why.
	Notes []string `json:"notes,omitempty"`
}

// ReleaseRollbackRequest rolls a release back: To (0: the newest
// succeeded release before the latest) ships again into Env.
type ReleaseRollbackRequest struct {
	Pipeline string `json:"-"`
	Env      string `json:"env"`
	To       int64  `json:"to,omitempty"`
	Reason   string `json:"reason"`
	Actor    string `json:"-"`
}
