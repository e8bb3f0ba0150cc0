//go:build !linux

package executor

import (
	"context"
	"errors"
	"runtime"
	"time"
)

type cgroupSetup struct {
	version     string
	memory, cpu bool
}

func detectCgroups(string) (*cgroupSetup, error) {
	return nil, errors.New("cgroups need linux")
}

// Run reports that local processes are only run on Linux so far.
func (e *Executor) Run(context.Context, Attempt) Result {
	now := time.Now()
	return Result{Outcome: Failed, ExitCode: -1, StartedAt: now, FinishedAt: now,
		Error: "start: executor: not supported on " + runtime.GOOS}
}

// Reap finds nothing: no process was started.
func (e *Executor) Reap(context.Context, int, ...string) (bool, error) { return false, nil }
