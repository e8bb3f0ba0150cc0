package api

import (
	"context"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// RunLister is what PipelineRuns reads: the store, or a server's runs.
type RunLister interface {
	ListRuns(ctx context.Context, f store.RunFilter) ([]record.Run, error)
}

// PipelineRuns fills p's State and what its runs in env (nil: any) say:
// its last run, its last success, and whether its data is fresh by
// freshness (sla.freshness; 0 is none) at now. The server's
// GET /api/v1/pipelines and gantry pipelines without one both use it.
func PipelineRuns(ctx context.Context, runs RunLister, env *string, freshness time.Duration, now time.Time, p *Pipeline) error {
	switch {
	case p.Error != "":
		p.State = "broken"
	case p.Paused:
		p.State = "paused"
	default:
		p.State = "active"
	}
	last, err := runs.ListRuns(ctx, store.RunFilter{Pipeline: p.Name, Env: env, Limit: 1})
	if err != nil {
		return err
	}
	if len(last) > 0 {
		p.LastRunID, p.LastRunState = last[0].ID, last[0].State
	}
	ok, err := runs.ListRuns(ctx, store.RunFilter{Pipeline: p.Name, Env: env, States: []record.RunState{record.RunSucceeded}, Limit: 1})
	if err != nil {
		return err
	}
	if len(ok) > 0 {
		p.LastSuccess = utc(ok[0].FinishedAt)
	}
	if freshness > 0 {
		p.FreshnessSeconds = freshness.Seconds()
		p.Freshness = "fresh"
		if p.LastSuccess.IsZero() || now.Sub(p.LastSuccess) > freshness {
			p.Freshness = "stale"
		}
	}
	return nil
}
