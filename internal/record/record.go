package record

import "time"

// RunState is the state of a whole run.
type RunState string

// Run states. A run is created queued, becomes running when its first task
// is dispatched, and ends in exactly one of the final states.
const (
	RunQueued    RunState = "queued"
	RunWaiting   RunState = "waiting_upstream" // queued, but an upstream has not succeeded for its interval
	RunRunning   RunState = "running"
	RunSucceeded RunState = "succeeded"
	RunFailed    RunState = "failed"
	RunCancelled RunState = "cancelled"
)

// Final reports whether no further change can happen to a run in state s.
func (s RunState) Final() bool {
	return s == RunSucceeded || s == RunFailed || s == RunCancelled
}

// TaskState is the state of one task within a run, or of one attempt of it.
type TaskState string

// Task and attempt states.
const (
	TaskPending     TaskState = "pending"      // waiting for its needs
	TaskQueued      TaskState = "queued"       // ready, waiting for a parallelism slot
	TaskWaitingPool TaskState = "waiting_pool" // ready, waiting for a slot of its pipeline's pool
	TaskRunning     TaskState = "running"      // an attempt is in flight
	// TaskWaitingApproval: an approval task's attempt is open, waiting for
	// people to approve or reject it (record.TaskApproval).
	TaskWaitingApproval TaskState = "waiting_approval"
	TaskRetrying        TaskState = "retrying" // an attempt failed; the next waits for its back-off
	TaskSucceeded       TaskState = "succeeded"
	TaskFailed          TaskState = "failed"          // exited non-zero or could not start
	TaskTimedOut        TaskState = "timed_out"       // killed by the attempt or run timeout
	TaskMemoryExceeded  TaskState = "memory_exceeded" // killed for going over its memory limit
	TaskCancelled       TaskState = "cancelled"
	TaskUpstreamFailed  TaskState = "upstream_failed" // a need failed; never started
	TaskLost            TaskState = "lost"            // its process died with Gantry
	// TaskSkipped: the task was not to run in this run (a task into a
	// protected environment, outside a deployed run there); its
	// dependents treat it as met.
	TaskSkipped TaskState = "skipped"
)

// Final reports whether no further change can happen to a task in state s.
func (s TaskState) Final() bool {
	switch s {
	case TaskSucceeded, TaskFailed, TaskTimedOut, TaskMemoryExceeded,
		TaskCancelled, TaskUpstreamFailed, TaskLost, TaskSkipped:
		return true
	}
	return false
}

// Met reports whether a task in state s lets the tasks that need it start.
func (s TaskState) Met() bool { return s == TaskSucceeded || s == TaskSkipped }

// Trigger says why a run was created.
type Trigger string

// Triggers.
const (
	TriggerManual   Trigger = "manual"
	TriggerSchedule Trigger = "schedule"
	TriggerUpstream Trigger = "upstream"
	TriggerBackfill Trigger = "backfill"
	TriggerStaging  Trigger = "staging_test"
	TriggerReplay   Trigger = "replay"
	// TriggerRollback: a person rolled a release back; the run ships an
	// earlier release again (Run.RollbackTo).
	TriggerRollback Trigger = "release_rollback"
)

// Run is one execution of a pipeline for one logical interval.
type Run struct {
	ID            int64
	Pipeline      string
	Env           string // environment name; "" for a local run
	Revision      string // content hash of the spec it runs; "" for a local run
	IntervalStart time.Time
	IntervalEnd   time.Time
	Trigger       Trigger
	State         RunState
	Params        map[string]string
	CreatedAt     time.Time
	StartedAt     time.Time // zero until the first task starts
	FinishedAt    time.Time // zero until final
	Error         string    // why it failed or was cancelled
	BackfillID    int64     // the backfill it belongs to; 0 when none
	// TriggeredBy is who asked for the run: the user or token of a manual
	// trigger or replay; "" for Gantry's own (a schedule, an upstream).
	// Nobody may approve an approval task of a run they started.
	TriggeredBy string
	// RollbackTo, for a run of trigger release_rollback, is the earlier
	// release it ships again; 0 otherwise.
	RollbackTo int64
}

// RunTask is the current state of one task in a run.
type RunTask struct {
	RunID       int64
	Task        string
	State       TaskState
	Attempts    int       // attempts started so far
	NextAttempt time.Time // when a retrying task may start again; zero otherwise
	UpdatedAt   time.Time
}

// Output is one key=value figure a task reported through $GANTRY_OUTPUT.
type Output struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// TaskAttempt is one try of one task.
type TaskAttempt struct {
	ID         int64 // also handed to the task as GANTRY_ATTEMPT_ID
	RunID      int64
	Task       string
	Attempt    int // 1-based
	State      TaskState
	QueuedAt   time.Time
	StartedAt  time.Time
	FinishedAt time.Time
	PID        int
	ExitCode   int    // -1 when killed by a signal or never started
	Signal     string // e.g. "killed", "terminated"; "" when it exited
	PeakMemory int64  // bytes
	CPUTime    time.Duration
	LogPath    string
	Outputs    []Output
	// OutputErrors are the problems with what the task wrote to
	// $GANTRY_OUTPUT (a malformed line, a file over its cap), secrets
	// redacted; the figures they concern were ignored.
	OutputErrors []string
	Error        string // a one-line reason when not succeeded
}

// DeadLetter is a task whose retries are exhausted; it can be replayed.
type DeadLetter struct {
	ID         int64
	RunID      int64
	Pipeline   string
	Task       string
	AttemptID  int64 // the last attempt
	Attempts   int
	Error      string
	CreatedAt  time.Time
	ReplayedAt time.Time // zero until replayed
	ReplayedBy string
}

// BackfillState is the state of a backfill as a whole.
type BackfillState string

// Backfill states.
const (
	BackfillRunning   BackfillState = "running"
	BackfillDone      BackfillState = "done" // every run final; some may have failed
	BackfillCancelled BackfillState = "cancelled"
)

// Backfill is a set of runs, one per interval, created together.
type Backfill struct {
	ID        int64
	Pipeline  string
	Env       string
	From      time.Time // first interval's start
	To        time.Time // last interval's end
	Parallel  int       // runs at once
	Total     int       // runs created
	State     BackfillState
	CreatedAt time.Time
	CreatedBy string
}

// PipelineState is what an operator changed about a pipeline at run time.
type PipelineState struct {
	Pipeline  string
	Paused    bool
	UpdatedAt time.Time
	UpdatedBy string
}
