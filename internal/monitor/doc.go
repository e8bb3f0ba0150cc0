// Package monitor exposes Gantry's Prometheus metrics.
//
// # Model
//
// Metrics are registered on a prometheus.Registerer handed to New, never on
// the global registry, so that tests and embedders own their registries.
// Two kinds of figure are exported:
//
//   - Event metrics, pushed by the caller as things finish: RunFinished,
//     AttemptFinished and SchedulerLag feed counters and histograms.
//   - State metrics, pulled from a Source when Prometheus scrapes: queue
//     depth, running tasks, dead letters and the freshness of each
//     pipeline. Computing them at scrape time means they can never drift
//     from the store, whatever restarts or replays happen in between.
//
// # Names
//
// Every metric is prefixed gantry_, counters end in _total, durations are
// in seconds and timestamps in Unix seconds, as Prometheus recommends.
//
// # Environments
//
// Every per-pipeline series carries an env label: the deploy environment
// of the run it counts (record.Run.Env), so that a server running prod
// also counting the staging runs of a deploy keeps them apart
// (gantry_runs_total{env="prod"} and {env="staging"}). A run outside any
// deploy environment (a plain `gantry serve --project`, `gantry run`) has
// env="", which Prometheus stores as no env label at all: select those
// series with {env=""}. The gauges that are not per pipeline (queue depth,
// running tasks, dead letters) count the whole server.
//
// # Cardinality
//
// Pipeline and task labels come from specs and are bounded by them. Task
// outputs are not: a task may print any key to $GANTRY_OUTPUT. Only numeric
// outputs whose key is a plain identifier ([a-zA-Z_][a-zA-Z0-9_]*, once "."
// and "-" are turned into "_") become series, and each task of a pipeline
// may contribute at most MaxOutputKeys distinct keys.
package monitor
