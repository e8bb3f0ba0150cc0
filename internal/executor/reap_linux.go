package executor

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Reap finds what is left of an attempt that was running when Gantry
// stopped — its process group, led by pid — and kills it. A process counts
// as the attempt's only if its environment holds GANTRY_ATTEMPT_ID=attemptID,
// so a reused pid is never touched. It reports whether anything was found,
// and returns once the group is gone or ctx ends.
func (e *Executor) Reap(ctx context.Context, pid int, attemptID int64) (bool, error) {
	if pid <= 0 {
		return false, nil
	}
	marker := []byte("GANTRY_ATTEMPT_ID=" + strconv.FormatInt(attemptID, 10) + "\x00")
	members := groupMembers(pid, marker)
	if len(members) == 0 {
		return false, nil
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	for _, m := range members {
		_ = syscall.Kill(m, syscall.SIGKILL) // members that left the group
	}
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		alive := false
		for _, m := range members {
			if running(m) {
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

// groupMembers lists the processes in process group pgid whose
// environment carries marker.
func groupMembers(pgid int, marker []byte) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		pg, state, ok := parseStat(stat)
		if !ok || pg != pgid || state == 'Z' {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(append([]byte{0}, env...), append([]byte{0}, marker...)) {
			continue
		}
		out = append(out, pid)
	}
	return out
}

// parseStat returns the process group and state from /proc/PID/stat.
func parseStat(stat []byte) (pgrp int, state byte, ok bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return 0, 0, false
	}
	f := strings.Fields(string(stat[i+2:]))
	// state ppid pgrp ...
	if len(f) < 3 {
		return 0, 0, false
	}
	pg, err := strconv.Atoi(f[2])
	if err != nil {
		return 0, 0, false
	}
	return pg, f[0][0], true
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
