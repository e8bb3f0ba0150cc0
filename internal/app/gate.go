package app

import (
	"context"
	"time"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/server"
	"github.com/gantryhq/gantry/internal/store"
)

// Gate is the readiness gate a deploy runs over a revision's bundle (the
// pipeline and its upstreams, hence Partial): every rule, the runbook
// commands read with commands (this binary's command tree), and the
// alert routes' test-fires read from st.
func Gate(st store.Store, commands func(args []string) (check.CommandLine, error)) func(ctx context.Context, dir, env string) (*check.Report, error) {
	return func(ctx context.Context, dir, env string) (*check.Report, error) {
		c, err := check.New(check.Options{Env: env, Commands: commands, Partial: true, TestFires: TestFires(ctx, st), Workers: WorkerLabels(ctx, st)})
		if err != nil {
			return nil, err
		}
		return c.Check(ctx, dir)
	}
}

// WorkerLabels returns the labels of st's active workers, for the
// worker-labels rule: ok is false when no worker was ever registered
// there (a SQLite store, which runs every task in its one process) or the
// store cannot say.
func WorkerLabels(ctx context.Context, st store.Store) func() ([]map[string]string, bool) {
	return func() ([]map[string]string, bool) {
		ws, err := st.ListWorkers(ctx)
		if err != nil || len(ws) == 0 {
			return nil, false
		}
		return ActiveLabels(ws, time.Now()), true
	}
}

// ActiveLabels are the labels of the workers in ws that run tasks and are
// alive at now: active, with slots, and a heartbeat within three periods.
func ActiveLabels(ws []record.Worker, now time.Time) []map[string]string {
	out := []map[string]string{}
	for _, w := range ws {
		if w.State == record.WorkerActive && w.Slots > 0 && now.Sub(w.HeartbeatAt) < 3*server.DefaultHeartbeat {
			out = append(out, w.Labels)
		}
	}
	return out
}
