package executor

import (
	"io"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

// Attempt is everything needed to run one task attempt.
type Attempt struct {
	Command string   // run by `/bin/sh -c`; rendered, its template values in Env
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
	// Started, when set, is called once the process exists.
	Started func(pid int, at time.Time)
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
)

// Result is what happened to one attempt.
type Result struct {
	Outcome    Outcome
	ExitCode   int    // -1 when killed by a signal or never started
	Signal     string // "killed", "terminated", ... ; "" when it exited
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
