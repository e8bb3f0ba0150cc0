package executor

import (
	"io"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

// DefaultKillGrace is how long an attempt that is being ended is given to
// stop by itself before it is killed, when the attempt does not say.
const DefaultKillGrace = 5 * time.Second

// DefaultLogLimit caps an attempt's log when the attempt sets no limit: a
// task that prints without end must not fill the disk under the server.
const DefaultLogLimit = 100 << 20

// Attempt is everything needed to run one task attempt.
type Attempt struct {
	// Kind is the task's kind, which picked the executor: "process"
	// runs Command with `/bin/sh -c` in Dir.
	Kind    string
	Command string   // rendered, its template values in Env
	Dir     string   // working directory; "" = the current one
	Env     []string // KEY=VALUE added to the parent's environment
	// Timeout is the attempt's deadline; 0 = none. The caller may also
	// pass a context with a deadline (the run timeout); both end the
	// attempt as timed out.
	Timeout time.Duration
	// KillGrace is how long SIGTERM is given before SIGKILL; 0 = 5s.
	KillGrace   time.Duration
	MemoryLimit int64  // bytes; 0 = none
	MilliCPU    int64  // 0 = none
	LogPath     string // combined stdout and stderr are appended here
	// LogLimit caps the bytes kept of the log: the first part and the last
	// are kept, with a line saying how much was cut between them, and the
	// task is never slowed. 0 = DefaultLogLimit.
	LogLimit   int64
	OutputPath string    // handed to the task as GANTRY_OUTPUT; the task creates it
	Follow     io.Writer // when set, every log line is also written here...
	Prefix     string    // ...after this prefix
	// Redact lists secret values replaced by <redacted> wherever the
	// attempt's output goes: log, follower, outputs and output errors. A
	// multi-line value is also found with CRLF line ends and line by line.
	Redact []string
	// Labels are what a worker must carry to run the attempt (spec
	// `worker: {labels: …}`), for an executor that hands attempts to
	// workers; nil: any worker.
	Labels map[string]string
	// Pool is the pipeline's pool, "" when none: queue depth is told by it.
	Pool string
	// Secrets names where the values of Env's secret entries came from,
	// so that an attempt run on another machine (executor/remote) is sent
	// the references and never the values.
	Secrets []SecretEnv
	// Started, when set, is called once the attempt is running, with
	// what Result.PID will hold.
	Started func(pid int, at time.Time)

	// RunID, AttemptID and Task name the attempt as recorded, for a kind
	// that keeps state of its own (approval).
	RunID     int64
	AttemptID int64
	Task      string
	// StartedAt is when the attempt started as recorded: an attempt
	// resumed after a restart counts its timeout from it.
	StartedAt time.Time
	// Approval is the approval kind's question; nil for other kinds.
	Approval *Approval
}

// SecretEnv is an entry of an attempt's Env whose value is a secret.
type SecretEnv struct {
	Key    string // the variable
	Secret string // the secret's name
	// Environment is the task's environment, whose secrets source (if it
	// has one) resolved it; "" for the project's.
	Environment string `json:",omitempty"`
}

// Approval is what an approval task asks.
type Approval struct {
	Required  int
	Approvers []string // who may approve; empty: anyone allowed to
	// Guards lists the protected environments of the tasks downstream.
	Guards []string
}

// Outcome is how an attempt ended.
type Outcome string

// Outcomes, matching record task states.
const (
	Succeeded      Outcome = Outcome(record.TaskSucceeded)
	Failed         Outcome = Outcome(record.TaskFailed)
	TimedOut       Outcome = Outcome(record.TaskTimedOut)
	MemoryExceeded Outcome = Outcome(record.TaskMemoryExceeded)
	Cancelled      Outcome = Outcome(record.TaskCancelled)
	// Lost is an attempt whose runner went away (a worker that stopped
	// renewing its claim): retried within the task's retry budget.
	Lost Outcome = Outcome(record.TaskLost)
)

// Result is what happened to one attempt.
type Result struct {
	Outcome  Outcome
	ExitCode int    // -1 when killed by a signal or never started
	Signal   string // "killed", "terminated", ... ; "" when it exited
	// PID is the kind's reference to the attempt, recorded and handed
	// back in Handle.PID: the process kind's process group.
	PID        int
	StartedAt  time.Time
	FinishedAt time.Time
	PeakMemory int64 // bytes, of the whole process tree where measurable
	CPUTime    time.Duration
	// OOMKills is how many of the attempt's processes the kernel killed
	// for memory, counted by its cgroup; any makes it MemoryExceeded,
	// even when the leader exited 0. 0 without a memory cgroup.
	OOMKills     int64
	Outputs      []record.Output
	OutputErrors []string // e.g. `line 3: "rows 12": want key=value`
	Error        string   // one line, for people: "exit status 3", "timed out after 2s", ...
}

// LimitSupport says how an Executor enforces resource limits on this
// machine.
type LimitSupport struct {
	Cgroup string // "v2", "v1" or "none"; "" for a kind without cgroups
	Memory bool   // memory limits are enforced by a cgroup
	CPU    bool   // CPU limits are enforced by a cgroup
	// Note is one line for people when a limit is not enforced by a
	// cgroup; "" when both are.
	Note string
}
