package store

import (
	"context"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

// SummaryStore holds the aggregate reads a dashboard makes over every
// pipeline at once: each costs a few queries whatever the number of
// pipelines, never one per pipeline.
type SummaryStore interface {
	// SummarizeRuns returns one summary per pipeline of f.Pipelines that
	// has a run in f.Env, in the order of f.Pipelines. Its cost follows
	// the number of pipelines and the runs in the window, not all runs.
	SummarizeRuns(ctx context.Context, f SummaryFilter) ([]RunSummary, error)
	// ListFigures returns the figures that succeeded attempts of the runs
	// f selects reported, newest run first; at most f.Limit of them.
	ListFigures(ctx context.Context, f FigureFilter) ([]Figure, error)
	// ListRunTasksOf returns the tasks of every run in runIDs (at most
	// MaxRunIDs), by run then in the order they were created.
	ListRunTasksOf(ctx context.Context, runIDs []int64) ([]record.RunTask, error)
}

// MaxRunIDs is how many runs one ListRunTasksOf may ask for.
const MaxRunIDs = 500

// SummaryFilter says what SummarizeRuns summarizes.
type SummaryFilter struct {
	Pipelines []string  // the pipelines to summarize
	Env       string    // their environment; "" is the working tree's
	Since     time.Time // the window the counts of RunSummary cover
}

// RunSummary is what one pipeline's runs in one environment come to.
type RunSummary struct {
	Pipeline string
	Env      string
	Last     record.Run // the newest run
	// LastSucceeded is the end of the interval of the newest succeeded
	// run (the data's age is measured from it); zero when none.
	LastSucceeded time.Time
	// Runs, Succeeded and Failed count the runs created since
	// SummaryFilter.Since.
	Runs, Succeeded, Failed int
}

// FigureFilter narrows ListFigures. Zero fields do not filter.
type FigureFilter struct {
	Pipelines []string // the runs of these pipelines only
	Env       *string
	Key       string    // only figures of this key, e.g. "rows"
	Since     time.Time // runs created at or after; required
	Limit     int       // 0 means 50; < 0 means no limit
}

// Figure is one key=value figure a succeeded attempt reported.
type Figure struct {
	RunID         int64
	Pipeline      string
	Env           string
	Task          string
	IntervalStart time.Time
	IntervalEnd   time.Time
	FinishedAt    time.Time // the attempt's end
	Key, Value    string
}
