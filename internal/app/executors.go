package app

import (
	"log/slog"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/executor/approval"
	"github.com/gantryhq/gantry/internal/executor/process"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// Executors builds the executor of every kind of task this binary runs,
// keyed by kind. A new kind is one more line here. Approval tasks keep
// their questions in st; without a store (a benchmark) there are none.
// A nil log discards.
func Executors(log *slog.Logger, st store.Store) (executor.Set, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	proc, err := process.New(process.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	set := executor.Set{process.Kind: proc}
	if st != nil {
		set[spec.KindApproval] = approval.New(st, 0)
	}
	return set, nil
}

// Kicker returns what wakes the approval attempts of exe at once when
// one of their questions is decided; nil when exe runs none.
func Kicker(exe executor.Set) func(attemptID int64) {
	if x, ok := exe[spec.KindApproval].(*approval.Executor); ok {
		return x.Kick
	}
	return nil
}
