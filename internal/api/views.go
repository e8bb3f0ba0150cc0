package api

import (
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

// RunView is a run as the API shows it. Tasks is set only by GET
// /api/v1/runs/{id}.
type RunView struct {
	ID            int64             `json:"id"`
	Pipeline      string            `json:"pipeline"`
	Env           string            `json:"env,omitempty"`
	Revision      string            `json:"revision,omitempty"`
	IntervalStart time.Time         `json:"interval_start,omitzero"`
	IntervalEnd   time.Time         `json:"interval_end,omitzero"`
	Trigger       record.Trigger    `json:"trigger"`
	State         record.RunState   `json:"state"`
	Params        map[string]string `json:"params,omitempty"`
	CreatedAt     time.Time         `json:"created_at,omitzero"`
	StartedAt     time.Time         `json:"started_at,omitzero"`
	FinishedAt    time.Time         `json:"finished_at,omitzero"`
	Error         string            `json:"error,omitempty"`
	BackfillID    int64             `json:"backfill_id,omitempty"`
	TriggeredBy   string            `json:"triggered_by,omitempty"`
	RollbackTo    int64             `json:"rollback_to,omitempty"`
	Tasks         []TaskView        `json:"tasks,omitempty"`
}

// TaskView is the current state of one task in a run.
type TaskView struct {
	Task        string           `json:"task"`
	State       record.TaskState `json:"state"`
	Attempts    int              `json:"attempts"`
	NextAttempt time.Time        `json:"next_attempt,omitzero"`
	UpdatedAt   time.Time        `json:"updated_at,omitzero"`
}

// AttemptView is one try of one task.
type AttemptView struct {
	ID              int64            `json:"id"`
	RunID           int64            `json:"run_id"`
	Task            string           `json:"task"`
	Attempt         int              `json:"attempt"`
	State           record.TaskState `json:"state"`
	QueuedAt        time.Time        `json:"queued_at,omitzero"`
	StartedAt       time.Time        `json:"started_at,omitzero"`
	FinishedAt      time.Time        `json:"finished_at,omitzero"`
	PID             int              `json:"pid,omitempty"`
	ExitCode        int              `json:"exit_code"`
	Signal          string           `json:"signal,omitempty"`
	PeakMemoryBytes int64            `json:"peak_memory_bytes,omitempty"`
	CPUTimeSeconds  float64          `json:"cpu_time_seconds,omitempty"`
	LogPath         string           `json:"log_path,omitempty"`
	Outputs         []OutputView     `json:"outputs,omitempty"`
	// OutputErrors are the problems with what the task wrote to
	// $GANTRY_OUTPUT, secrets redacted.
	OutputErrors []string `json:"output_errors,omitempty"`
	Error        string   `json:"error,omitempty"`
}

// OutputView is one key=value figure a task reported.
type OutputView struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// DeadLetterView is a task whose retries are exhausted.
type DeadLetterView struct {
	ID         int64     `json:"id"`
	RunID      int64     `json:"run_id"`
	Pipeline   string    `json:"pipeline"`
	Task       string    `json:"task"`
	AttemptID  int64     `json:"attempt_id,omitempty"`
	Attempts   int       `json:"attempts"`
	Error      string    `json:"error,omitempty"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	ReplayedAt time.Time `json:"replayed_at,omitzero"`
	ReplayedBy string    `json:"replayed_by,omitempty"`
}

// BackfillView is a backfill's record.
type BackfillView struct {
	ID        int64                `json:"id"`
	Pipeline  string               `json:"pipeline"`
	Env       string               `json:"env,omitempty"`
	From      time.Time            `json:"from,omitzero"`
	To        time.Time            `json:"to,omitzero"`
	Parallel  int                  `json:"parallel"`
	Total     int                  `json:"total"`
	State     record.BackfillState `json:"state,omitempty"` // empty for a dry run
	CreatedAt time.Time            `json:"created_at,omitzero"`
	CreatedBy string               `json:"created_by,omitempty"`
}

// BackfillStatusView is a backfill and how far it got.
type BackfillStatusView struct {
	Backfill   BackfillView `json:"backfill"`
	Intervals  []Interval   `json:"intervals,omitempty"` // planned, for a dry run
	Done       int          `json:"done"`
	Failed     int          `json:"failed"`
	Cancelled  int          `json:"cancelled"`
	Running    int          `json:"running"`
	ETASeconds float64      `json:"eta_seconds,omitempty"`
}

// PipelineList is the body of GET /api/v1/pipelines.
type PipelineList struct {
	Pipelines []Pipeline `json:"pipelines"`
}

// RunList is one page of GET /api/v1/runs. Next is the path and query of
// the following page, or empty on the last one.
type RunList struct {
	Runs []RunView `json:"runs"`
	Next string    `json:"next"`
}

// AttemptList is the body of GET /api/v1/runs/{id}/attempts.
type AttemptList struct {
	Attempts []AttemptView `json:"attempts"`
}

// DeadLetterList is the body of GET /api/v1/dead-letters.
type DeadLetterList struct {
	DeadLetters []DeadLetterView `json:"dead_letters"`
}

// TriggerBody is the body of POST /api/v1/pipelines/{name}/trigger: either
// a Date or both interval bounds, or neither for the default interval of a
// manual run (schedule.ManualInterval).
type TriggerBody struct {
	Params map[string]string `json:"params,omitempty"`
	Date   string            `json:"date,omitempty"`
	Start  time.Time         `json:"interval_start,omitzero"`
	End    time.Time         `json:"interval_end,omitzero"`
}

// utc returns t in UTC, keeping the zero time zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func newRunView(r record.Run, tasks []record.RunTask) RunView {
	v := RunView{
		ID: r.ID, Pipeline: r.Pipeline, Env: r.Env, Revision: r.Revision,
		IntervalStart: utc(r.IntervalStart), IntervalEnd: utc(r.IntervalEnd),
		Trigger: r.Trigger, State: r.State, Params: r.Params,
		CreatedAt: utc(r.CreatedAt), StartedAt: utc(r.StartedAt), FinishedAt: utc(r.FinishedAt),
		Error: r.Error, BackfillID: r.BackfillID, TriggeredBy: r.TriggeredBy, RollbackTo: r.RollbackTo,
	}
	for _, t := range tasks {
		v.Tasks = append(v.Tasks, TaskView{
			Task: t.Task, State: t.State, Attempts: t.Attempts,
			NextAttempt: utc(t.NextAttempt), UpdatedAt: utc(t.UpdatedAt),
		})
	}
	return v
}

func newAttemptView(a record.TaskAttempt) AttemptView {
	v := AttemptView{
		ID: a.ID, RunID: a.RunID, Task: a.Task, Attempt: a.Attempt, State: a.State,
		QueuedAt: utc(a.QueuedAt), StartedAt: utc(a.StartedAt), FinishedAt: utc(a.FinishedAt),
		PID: a.PID, ExitCode: a.ExitCode, Signal: a.Signal, PeakMemoryBytes: a.PeakMemory,
		CPUTimeSeconds: a.CPUTime.Seconds(), LogPath: a.LogPath, OutputErrors: a.OutputErrors, Error: a.Error,
	}
	for _, o := range a.Outputs {
		v.Outputs = append(v.Outputs, OutputView{Key: o.Key, Value: o.Value})
	}
	return v
}

func newDeadLetterView(d record.DeadLetter) DeadLetterView {
	return DeadLetterView{
		ID: d.ID, RunID: d.RunID, Pipeline: d.Pipeline, Task: d.Task,
		AttemptID: d.AttemptID, Attempts: d.Attempts, Error: d.Error,
		CreatedAt: utc(d.CreatedAt), ReplayedAt: utc(d.ReplayedAt), ReplayedBy: d.ReplayedBy,
	}
}

func newBackfillStatusView(s BackfillStatus) BackfillStatusView {
	b := s.Backfill
	v := BackfillStatusView{
		Backfill: BackfillView{
			ID: b.ID, Pipeline: b.Pipeline, Env: b.Env, From: utc(b.From), To: utc(b.To),
			Parallel: b.Parallel, Total: b.Total, State: b.State,
			CreatedAt: utc(b.CreatedAt), CreatedBy: b.CreatedBy,
		},
		Done: s.Done, Failed: s.Failed, Cancelled: s.Cancelled, Running: s.Running,
		ETASeconds: s.ETA.Seconds(),
	}
	for _, in := range s.Intervals {
		v.Intervals = append(v.Intervals, Interval{Start: utc(in.Start), End: utc(in.End)})
	}
	return v
}

func newPipelineView(p Pipeline) Pipeline {
	p.NextRun = utc(p.NextRun)
	if p.Tasks == nil {
		p.Tasks = []string{}
	}
	return p
}

// NewRunView is r, with its tasks when given, as the API shows it: what
// gantry runs -o json prints from a local store too.
func NewRunView(r record.Run, tasks []record.RunTask) RunView { return newRunView(r, tasks) }

// NewAttemptView is a as the API shows it.
func NewAttemptView(a record.TaskAttempt) AttemptView { return newAttemptView(a) }

// NewDeadLetterView is d as the API shows it.
func NewDeadLetterView(d record.DeadLetter) DeadLetterView { return newDeadLetterView(d) }

// NewPipelineView is p as the API shows it.
func NewPipelineView(p Pipeline) Pipeline { return newPipelineView(p) }
