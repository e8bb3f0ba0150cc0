package app

import (
	"log/slog"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/executor/process"
)

// Executors builds the executor of every kind of task this binary runs,
// keyed by kind. A new kind is one more line here.
// A nil log discards.
func Executors(log *slog.Logger) (executor.Set, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	proc, err := process.New(process.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	return executor.Set{process.Kind: proc}, nil
}
