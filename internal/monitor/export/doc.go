// Package export turns pipeline specs into monitoring configuration for
// stacks that already run Prometheus and Grafana: a Prometheus rule file
// (PrometheusRules) and a Grafana dashboard (GrafanaDashboard), both over
// the metrics package monitor exports. Output is deterministic, so a
// generated file can be committed and diffed.
//
// # Rule groups
//
// Each pipeline gets a group named gantry.<pipeline> whose rules select
// that pipeline's series and carry its owner, route and runbook; a group
// named gantry holds the rules over metrics without a pipeline label (the
// dead-letter queue) and a failure rule for pipelines the file does not
// know, so a pipeline added after the export still pages on failure.
// Every alert has the labels severity (critical or warning), event (the
// route event it corresponds to: failure, sla, freshness, row_count,
// degradation) and, when known, pipeline, env, owner and route. Every rule
// over per-pipeline series aggregates by (pipeline, env, ...), so each
// environment pages on its own: a failed staging run fires with
// env="staging" and leaves prod's alert alone, and freshness is judged per
// environment (route staging's alerts elsewhere, or drop them, in
// Alertmanager by env). Runs outside any deploy environment have no env
// label, and so neither have their alerts. Annotations are
// summary, description and runbook_url when the pipeline names a runbook
// (the path as written, relative to the project).
//
// # Failures and new series
//
// Gantry's counters are created on first use, so the first failed run of a
// pipeline appears as a new series already at 1, which increase() cannot
// see. GantryRunFailed therefore also fires for a failed-runs series that
// has fewer samples in the window than gantry_build_info from the same
// target: it appeared after Prometheus started scraping Gantry. A series
// present from the first scrape (Prometheus newly pointed at a long-running
// Gantry) does not page for failures that may be days old.
//
// # SLA deadline
//
// PromQL has no time zones, so "the interval's run has not succeeded by
// HH:MM local time" is expressed as an age: for a daily schedule ticking
// at T with deadline D, the run for the interval ending at today's tick
// must succeed by D, so the alert fires when the end of the last succeeded
// interval is more than 24h + (D − T) old. That is exact except on the two
// days a year when the zone changes offset, when it fires an hour early or
// late. Schedules that are not one tick a day (hourly, weekdays only,
// upstream-triggered) get no deadline rule; the file's header says which.
//
// # Dashboard
//
// The dashboard has a data-source variable, a pipeline variable from
// label_values(gantry_runs_total, pipeline), so it lists pipelines that
// have finished a run since Gantry started, and an env variable of the
// environments they ran in; every per-pipeline panel keeps environments
// apart (legend "pipeline env"). Per-pipeline thresholds from
// the specs (freshness SLA, minimum row count) are drawn as dashed series.
package export
