package export

import (
	"fmt"

	"github.com/gantryhq/gantry/internal/spec"
)

// Selectors shared by the panels: the pipeline and env variables filter
// every per-pipeline query, and each keeps its environments apart.
const (
	byPipeline = `pipeline=~"$pipeline",env=~"$env"`
	// trend is the window of the per-run panels: batch pipelines run a few
	// times a day, so a shorter rate window would mostly be empty.
	trend = "1d"
	// limitPrefix starts the legend of a threshold series, which an override
	// draws dashed.
	limitPrefix = "limit: "
)

func panels(ps []*spec.Pipeline) []panel {
	return []panel{
		timeseries("Run duration p50 / p95", "s",
			"Quantiles of the runs that finished in the trailing day, per pipeline.",
			expr(quantile("0.5", "gantry_run_duration_seconds_bucket", "pipeline, env"), "{{pipeline}} {{env}} p50"),
			expr(quantile("0.95", "gantry_run_duration_seconds_bucket", "pipeline, env"), "{{pipeline}} {{env}} p95"),
		),
		withRange(timeseries("Error rate per pipeline", "percentunit",
			"Failed runs over all finished runs in the trailing day.",
			expr(fmt.Sprintf("sum by (pipeline, env) (increase(%s[%s]))\n/\nsum by (pipeline, env) (increase(%s[%s]))",
				selector("gantry_runs_total", byPipeline, `state="failed"`), trend,
				selector("gantry_runs_total", byPipeline), trend), "{{pipeline}} {{env}}"),
		), 0, 1),
		timeseries("Rows per stage", "short",
			"The rows output each task last reported through $GANTRY_OUTPUT; dashed: monitoring.row_counts.min.",
			append([]target{expr(selector("gantry_task_output", byPipeline, `key="rows"`), "{{pipeline}} {{env}} / {{task}}")},
				rowLimits(ps)...)...,
		),
		timeseries("Freshness", "s",
			"Time since the end of each pipeline's last succeeded interval; dashed: sla.freshness.",
			append([]target{expr("time() - max by (pipeline, env) ("+
				selector("gantry_last_success_interval_end_timestamp_seconds", byPipeline)+")", "{{pipeline}} {{env}}")},
				freshnessLimits(ps)...)...,
		),
		stat("Dead letters", "Tasks that ran out of retries and wait in the dead-letter queue (gantry dlq list).",
			expr("max(gantry_dead_letters)", "dead letters")),
		sized(timeseries("Queue depth", "short", "Runs queued or waiting for an upstream.",
			expr("max(gantry_queue_depth)", "queued")), 8),
		sized(timeseries("Running tasks", "short", "Task attempts in flight.",
			expr("max(gantry_running_tasks)", "running")), 8),
		timeseries("Scheduler lag p95", "s",
			"Time from a scheduled tick to the start of the run's first task, over the trailing day; waiting for an upstream counts.",
			expr(quantile("0.95", "gantry_scheduler_lag_seconds_bucket", "pipeline, env"), "{{pipeline}} {{env}}"),
		),
		timeseries("Failed task attempts", "short",
			"Attempts per hour that failed, timed out, ran out of memory or were lost; most are retried.",
			expr(fmt.Sprintf("sum by (pipeline, env, task, state) (increase(%s[1h]))",
				selector("gantry_task_attempts_total", byPipeline, "state=~"+promString(failedAttemptStates))),
				"{{pipeline}} {{env}} / {{task}} {{state}}"),
		),
	}
}

// quantile is a histogram quantile over the trend window, kept per by.
func quantile(q, bucket, by string) string {
	return fmt.Sprintf("histogram_quantile(%s, sum by (%s, le) (rate(%s[%s])))",
		q, by, selector(bucket, byPipeline), trend)
}

// rowLimits draws each pipeline's minimum row count, only while the
// pipeline is selected and its task has reported rows.
func rowLimits(ps []*spec.Pipeline) []target {
	var ts []target
	for _, p := range ps {
		rc := p.Monitoring.RowCounts
		if rc == nil || rc.Task == "" || rc.Min <= 0 {
			continue
		}
		sel := selector("gantry_task_output", pipelineMatcher(p.Name), byPipeline,
			"task="+promString(rc.Task), `key="rows"`)
		ts = append(ts, expr(fmt.Sprintf("%d + 0 * %s", rc.Min, sel),
			fmt.Sprintf("%s%s / %s min", limitPrefix, p.Name, rc.Task)))
	}
	return ts
}

// freshnessLimits draws each pipeline's freshness SLA, only while the
// pipeline is selected and has succeeded.
func freshnessLimits(ps []*spec.Pipeline) []target {
	var ts []target
	for _, p := range ps {
		if p.SLA.Freshness <= 0 {
			continue
		}
		sel := selector("gantry_last_success_interval_end_timestamp_seconds", pipelineMatcher(p.Name), byPipeline)
		ts = append(ts, expr(fmt.Sprintf("%s + 0 * max by (pipeline, env) (%s)", seconds(p.SLA.Freshness), sel),
			fmt.Sprintf("%s%s freshness", limitPrefix, p.Name)))
	}
	return ts
}

func expr(e, legend string) target {
	return target{Datasource: promDatasource, Expr: e, LegendFormat: legend, Range: true}
}

func timeseries(title, unit, desc string, ts ...target) panel {
	return panel{
		Datasource:  promDatasource,
		Description: desc,
		FieldConfig: fieldConfig{
			Defaults: map[string]any{
				"unit": unit,
				"min":  0,
				"custom": map[string]any{
					"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10,
					"showPoints": "auto", "spanNulls": false,
				},
			},
			Overrides: []any{map[string]any{
				"matcher": map[string]any{"id": "byRegexp", "options": "^" + limitPrefix + ".*"},
				"properties": []any{
					map[string]any{"id": "custom.lineStyle", "value": map[string]any{"fill": "dash", "dash": []int{10, 10}}},
					map[string]any{"id": "custom.fillOpacity", "value": 0},
					map[string]any{"id": "color", "value": map[string]any{"mode": "fixed", "fixedColor": "red"}},
				},
			}},
		},
		Options: map[string]any{
			"legend":  map[string]any{"displayMode": "list", "placement": "bottom", "showLegend": true},
			"tooltip": map[string]any{"mode": "multi", "sort": "desc"},
		},
		Targets: refIDs(ts),
		Title:   title,
		Type:    "timeseries",
	}
}

func stat(title, desc string, ts ...target) panel {
	for i := range ts {
		ts[i].Instant, ts[i].Range = true, false
	}
	return panel{
		Datasource:  promDatasource,
		Description: desc,
		FieldConfig: fieldConfig{
			Defaults: map[string]any{
				"unit": "short",
				"thresholds": map[string]any{"mode": "absolute", "steps": []any{
					map[string]any{"color": "green", "value": nil},
					map[string]any{"color": "red", "value": 1},
				}},
			},
			Overrides: []any{},
		},
		GridPos: gridPos{W: 8},
		Options: map[string]any{
			"colorMode":     "background",
			"graphMode":     "none",
			"reduceOptions": map[string]any{"calcs": []string{"lastNotNull"}, "fields": "", "values": false},
		},
		Targets: refIDs(ts),
		Title:   title,
		Type:    "stat",
	}
}

func sized(p panel, w int) panel {
	p.GridPos.W = w
	return p
}

func withRange(p panel, lo, hi float64) panel {
	p.FieldConfig.Defaults["min"], p.FieldConfig.Defaults["max"] = lo, hi
	return p
}

// refIDs names targets A, B, C… in order.
func refIDs(ts []target) []target {
	for i := range ts {
		ts[i].RefID = string(rune('A' + i%26))
		if i >= 26 {
			ts[i].RefID = fmt.Sprintf("%c%d", 'A'+i%26, i/26)
		}
	}
	return ts
}
