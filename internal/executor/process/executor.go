package process

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/gantryhq/gantry/internal/executor"
)

// Kind is the task kind this package runs: spec's `kind: process`.
const Kind = "process"

// shellPath is the shell that runs every attempt's command.
const shellPath = "/bin/sh"

// ErrGuardUnsupported is StartGuard's error where guards cannot run (not
// Linux).
var ErrGuardUnsupported = errors.New("task guard: not supported on " + runtime.GOOS)

// Options configure an Executor. The zero value is ready to use.
type Options struct {
	Logger *slog.Logger // nil: discard
	// CgroupRoot is where the cgroup hierarchies are mounted, e.g.
	// /sys/fs/cgroup; "" finds them in /proc/self/mountinfo.
	CgroupRoot string
	// DisableCgroups makes memory limits use RSS polling and leaves CPU
	// limits unenforced, even where cgroups are writable.
	DisableCgroups bool
	// HideEnv lists names, or prefixes ending in "_", of Gantry's own
	// environment variables that tasks must not inherit. nil means
	// DefaultHideEnv.
	HideEnv []string
	// Guard, when set, is told about every attempt, so that it kills the
	// attempt's processes should this process die or stop (see Guard).
	Guard *Guard
}

// DefaultHideEnv keeps secret values and store credentials from tasks: a
// task sees only the secrets its own env references.
var DefaultHideEnv = []string{"GANTRY_SECRET_", "GANTRY_STORE", "GANTRY_TEST_POSTGRES", "GANTRY_TOKEN"}

// Executor runs the attempts of process tasks as local processes. It is safe for concurrent
// use; one Executor serves every attempt of a process.
type Executor struct {
	log     *slog.Logger
	sh      string       // shellPath
	env     []string     // the environment every task inherits
	cgroups *cgroupSetup // nil: none usable
	guard   *Guard       // nil: none
	limits  executor.LimitSupport
	// followMu serialises writes to Attempt.Follow, which several attempts
	// may share (a terminal, say).
	followMu sync.Mutex

	cgroupCreated func(dirs []string) // test hook
}

// New detects how resource limits can be enforced here and returns an
// Executor. A missing or read-only cgroup hierarchy is not an error: limits
// fall back to polling, and Limits says so.
func New(opts Options) (*Executor, error) {
	e := &Executor{log: opts.Logger, guard: opts.Guard}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	// By absolute path: a `sh` earlier on PATH (a project's bin/, say)
	// must not get to run every task.
	if _, err := os.Stat(shellPath); err != nil {
		return nil, fmt.Errorf("executor: %w", err)
	}
	e.sh = shellPath
	hide := opts.HideEnv
	if hide == nil {
		hide = DefaultHideEnv
	}
	e.env = inheritedEnv(os.Environ(), hide)
	if !opts.DisableCgroups {
		cg, err := detectCgroups(opts.CgroupRoot)
		if err != nil {
			e.log.Info("executor: cgroups unavailable", "err", err)
		}
		e.cgroups = cg
	}
	e.limits = executor.LimitSupport{Cgroup: "none"}
	if e.cgroups != nil {
		e.limits.Cgroup = e.cgroups.version
		e.limits.Memory = e.cgroups.memory
		e.limits.CPU = e.cgroups.cpu
	}
	e.limits.Note = limitNote(e.limits)
	return e, nil
}

// Close removes the cgroups kept for the next attempts (see Reuse in
// cgroup_linux.go). Attempts may still run after it: their cgroups are
// then removed as each ends.
func (e *Executor) Close() error {
	if e.cgroups == nil {
		return nil
	}
	return e.cgroups.closeIdle()
}

// Limits reports how memory and CPU limits are enforced.
func (e *Executor) Limits() executor.LimitSupport { return e.limits }

// inheritedEnv drops from env every variable named in hide, where a name
// ending in "_" is a prefix.
func inheritedEnv(env, hide []string) []string {
	out := make([]string, 0, len(env))
next:
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		for _, h := range hide {
			if name == h || strings.HasSuffix(h, "_") && strings.HasPrefix(name, h) {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

var _ executor.Executor = (*Executor)(nil)
