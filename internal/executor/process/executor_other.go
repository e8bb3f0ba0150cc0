//go:build !linux

package process

import (
	"context"
	"errors"
	"runtime"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
)

type cgroupSetup struct {
	version     string
	memory, cpu bool
}

func detectCgroups(string) (*cgroupSetup, error) {
	return nil, errors.New("cgroups need linux")
}

// Run reports that local processes are only run on Linux so far.
func (e *Executor) Run(context.Context, executor.Attempt) executor.Result {
	now := time.Now()
	return executor.Result{Outcome: executor.Failed, ExitCode: -1, StartedAt: now, FinishedAt: now,
		Error: "start: executor: not supported on " + runtime.GOOS}
}

// Reap finds nothing: no process was started.
func (e *Executor) Reap(context.Context, executor.Handle) (bool, error) { return false, nil }

func (*cgroupSetup) closeIdle() error { return nil }

// Guard is Linux's only: see guard_linux.go.
type Guard struct{ done chan struct{} }

// StartGuard reports that guards need Linux.
func StartGuard(string, string) (*Guard, error) {
	return nil, ErrGuardUnsupported
}

// RunGuardIfAsked does nothing here.
func RunGuardIfAsked(Reporter) {}

func (g *Guard) Done() <-chan struct{}          { return g.done }
func (g *Guard) Until(int64, time.Time, string) {}
func (g *Guard) Close() error                   { return nil }
func (g *Guard) Err() error                     { return nil }
func (g *Guard) Release(int64)                  {}
