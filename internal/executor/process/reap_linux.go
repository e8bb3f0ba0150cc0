package process

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
)

// Reap finds what is left of an attempt that was running when Gantry
// stopped and kills it. A process counts as the attempt's only if its
// environment holds every KEY=VALUE of h.Marks (the engine passes the
// attempt's GANTRY_ATTEMPT_ID and GANTRY_OUTPUT, which no other attempt of
// any project shares), so a reused pid is never touched. h.PID, the
// attempt's process group as recorded, may be 0 when Gantry stopped before
// recording it: every process is looked at anyway. It reports whether
// anything was found, and returns once all of it is gone or ctx ends.
func (e *Executor) Reap(ctx context.Context, h executor.Handle) (bool, error) {
	pid, env := h.PID, h.Marks
	if len(env) == 0 {
		return false, nil
	}
	members := attemptProcesses(env)
	if len(members) == 0 {
		return false, nil
	}
	for _, m := range members {
		_ = syscall.Kill(-m.pgid, syscall.SIGKILL)
		_ = syscall.Kill(m.pid, syscall.SIGKILL) // a member that left its group
	}
	if pid > 0 {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		alive := false
		for _, m := range members {
			if running(m.pid) {
				alive = true
				break
			}
		}
		if !alive {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return true, ctx.Err()
		case <-tick.C:
		}
	}
}

type proc struct{ pid, pgid int }

// attemptProcesses lists the live processes whose environment holds every
// entry of env.
func attemptProcesses(env []string) []proc {
	var out []proc
	var sc procScan
	sc.each(env, 0, func(pid int) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		if f, ok := statFields(stat); ok {
			if pg, err := strconv.Atoi(f[2]); err == nil {
				out = append(out, proc{pid: pid, pgid: pg})
			}
		}
	})
	return out
}

// holdsAll reports whether a NUL-separated environ block has every entry.
func holdsAll(environ []byte, env []string) bool {
	for _, kv := range env {
		if !holds(environ, kv) {
			return false
		}
	}
	return true
}

// holds reports whether environ has the entry kv whole: GANTRY_ATTEMPT_ID=12
// is not in a block holding GANTRY_ATTEMPT_ID=120.
func holds(environ []byte, kv string) bool {
	for i := 0; ; {
		j := bytes.Index(environ[i:], []byte(kv))
		if j < 0 {
			return false
		}
		j += i
		end := j + len(kv)
		if (j == 0 || environ[j-1] == 0) && (end == len(environ) || environ[end] == 0) {
			return true
		}
		i = j + 1
	}
}

// groupMembers lists the processes in process group pgid whose
// environment holds every entry of env.
func groupMembers(pgid int, env ...string) []int {
	var out []int
	for _, p := range attemptProcesses(env) {
		if p.pgid == pgid {
			out = append(out, p.pid)
		}
	}
	return out
}

// parseStat returns the process group and state from /proc/PID/stat.
func parseStat(stat []byte) (pgrp int, state byte, ok bool) {
	f, ok := statFields(stat)
	if !ok {
		return 0, 0, false
	}
	pg, err := strconv.Atoi(f[2])
	if err != nil {
		return 0, 0, false
	}
	return pg, f[0][0], true
}

// statFields splits /proc/PID/stat after the command name, which may hold
// spaces and parentheses: f[0] is field 3 (state), f[n-3] field n.
func statFields(stat []byte) ([]string, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return nil, false
	}
	f := strings.Fields(string(stat[i+2:]))
	return f, len(f) >= 3 // state ppid pgrp ...
}

// running reports whether pid exists and is not a zombie.
func running(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	_, state, ok := parseStat(stat)
	return ok && state != 'Z'
}
