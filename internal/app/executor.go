package app

import (
	"log/slog"

	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/executor"
)

// Executor is the executor kind this machine runs tasks with, as the
// engine uses it, with what the host can enforce of a task's limits.
type Executor interface {
	engine.Executor
	Limits() executor.LimitSupport
}

// NewExecutor returns the executor tasks run with here: a process group
// per attempt, contained in a cgroup where the host allows. A nil log
// discards.
func NewExecutor(log *slog.Logger) (Executor, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return executor.New(executor.Options{Logger: log})
}
