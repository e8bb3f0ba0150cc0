package executor

import (
	"fmt"
	"log/slog"
	"os/exec"
	"sync"
	"time"
)

// DefaultKillGrace is how long SIGTERM is given before SIGKILL when an
// attempt does not say.
const DefaultKillGrace = 5 * time.Second

// Options configure an Executor. The zero value is ready to use.
type Options struct {
	Logger *slog.Logger // nil: discard
	// CgroupRoot is where the cgroup hierarchies are mounted, e.g.
	// /sys/fs/cgroup; "" finds them in /proc/self/mountinfo.
	CgroupRoot string
	// DisableCgroups makes memory limits use RSS polling and leaves CPU
	// limits unenforced, even where cgroups are writable.
	DisableCgroups bool
}

// Executor runs task attempts as local processes. It is safe for concurrent
// use; one Executor serves every attempt of a process.
type Executor struct {
	log     *slog.Logger
	sh      string       // path of sh, looked up once
	cgroups *cgroupSetup // nil: none usable
	limits  LimitSupport
	// followMu serialises writes to Attempt.Follow, which several attempts
	// may share (a terminal, say).
	followMu sync.Mutex

	cgroupCreated func(dirs []string) // test hook
}

// New detects how resource limits can be enforced here and returns an
// Executor. A missing or read-only cgroup hierarchy is not an error: limits
// fall back to polling, and Limits says so.
func New(opts Options) (*Executor, error) {
	e := &Executor{log: opts.Logger}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		return nil, fmt.Errorf("executor: %w", err)
	}
	e.sh = sh
	if !opts.DisableCgroups {
		cg, err := detectCgroups(opts.CgroupRoot)
		if err != nil {
			e.log.Info("executor: cgroups unavailable", "err", err)
		}
		e.cgroups = cg
	}
	e.limits = LimitSupport{Cgroup: "none"}
	if e.cgroups != nil {
		e.limits.Cgroup = e.cgroups.version
		e.limits.Memory = e.cgroups.memory
		e.limits.CPU = e.cgroups.cpu
	}
	e.limits.Note = e.limits.note()
	return e, nil
}

// Limits reports how memory and CPU limits are enforced.
func (e *Executor) Limits() LimitSupport { return e.limits }
