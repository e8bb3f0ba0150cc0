package export

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/spec"
)

// Windows and thresholds of the rules that the specs do not configure.
const (
	// failureWindow is how long GantryRunFailed keeps firing after a failed
	// run; Alertmanager sends the resolve when it ends.
	failureWindow = "1h"
	// retryWindow and retryRatio: more than a quarter of a task's attempts
	// in an hour failing means it only succeeds thanks to its retries.
	retryWindow = "1h"
	retryRatio  = 0.25
	// lagWindow and lagThreshold: runs starting on average five minutes
	// late mean the scheduler is overloaded or an upstream is slow.
	lagWindow    = "30m"
	lagThreshold = 5 * time.Minute
	// rowDropWindow is the history a row count is compared with.
	rowDropWindow = "7d"
)

// failedAttemptStates are the attempt states that lead to a retry.
const failedAttemptStates = "failed|timed_out|memory_exceeded|lost"

// selector renders name{matchers}, skipping empty matchers.
func selector(name string, matchers ...string) string {
	var ms []string
	for _, m := range matchers {
		if m != "" {
			ms = append(ms, m)
		}
	}
	return name + "{" + strings.Join(ms, ",") + "}"
}

func pipelineMatcher(name string) string { return "pipeline=" + promString(name) }

// runFailedRule fires for failed runs in the last failureWindow of the
// pipelines matcher selects. The second branch catches a failed-runs series
// that is new within the window (see the package documentation).
func runFailedRule(matcher string) rule {
	sel := selector("gantry_runs_total", matcher, `state="failed"`)
	expr := fmt.Sprintf(`sum by (pipeline, env) (increase(%[1]s[%[2]s])) > 0
or
sum by (pipeline, env) (
  %[1]s
  and
  (
    count_over_time(%[1]s[%[2]s])
    < on (instance, job) group_left ()
    max by (instance, job) (count_over_time(gantry_build_info[%[2]s]))
  )
)`, sel, failureWindow)
	return rule{Alert: "GantryRunFailed", Expr: expr}
}

func pipelineRunFailedRule(p *spec.Pipeline) rule {
	r := runFailedRule(pipelineMatcher(p.Name))
	r.Annotations = map[string]string{
		"summary": fmt.Sprintf("Pipeline %s failed", p.Name),
		"description": fmt.Sprintf("A run of pipeline %s failed in the last %s. "+
			"See `gantry runs --pipeline %s`.", p.Name, failureWindow, p.Name),
	}
	return r
}

func lastSuccessAge(pipeline string) string {
	return "time() - max by (pipeline, env) (" +
		selector("gantry_last_success_interval_end_timestamp_seconds", pipelineMatcher(pipeline)) + ")"
}

func staleRule(pipeline string, freshness time.Duration) rule {
	return rule{
		Alert: "GantryPipelineStale",
		Expr:  lastSuccessAge(pipeline) + " > " + seconds(freshness),
		Annotations: map[string]string{
			"summary": fmt.Sprintf("Pipeline %s is stale", pipeline),
			"description": fmt.Sprintf("The last succeeded interval of %s ended {{ $value | humanizeDuration }} ago, "+
				"beyond its freshness SLA of %s.", pipeline, promDuration(freshness)),
		},
	}
}

func deadlineRule(pipeline, deadline string, age time.Duration) rule {
	return rule{
		Alert: "GantrySLADeadlineMissed",
		Expr:  lastSuccessAge(pipeline) + " > " + seconds(age),
		Annotations: map[string]string{
			"summary": fmt.Sprintf("Pipeline %s missed its %s deadline", pipeline, deadline),
			"description": fmt.Sprintf("No run of %s has succeeded for the interval due by %s (sla.deadline): "+
				"the last succeeded interval ended {{ $value | humanizeDuration }} ago, more than the %s the deadline allows.",
				pipeline, deadline, promDuration(age)),
		},
	}
}

// noSuccessRule covers what the age rules cannot see: no success at all.
func noSuccessRule(pipeline string, wait time.Duration) rule {
	return rule{
		Alert: "GantryPipelineNoSuccess",
		Expr:  "absent(" + selector("gantry_last_success_interval_end_timestamp_seconds", pipelineMatcher(pipeline)) + ")",
		For:   promDuration(wait),
		Annotations: map[string]string{
			"summary": fmt.Sprintf("Pipeline %s has no known success", pipeline),
			"description": fmt.Sprintf("Gantry has reported no succeeded run of %s for %s: "+
				"it never succeeded, or Prometheus is not scraping Gantry.", pipeline, promDuration(wait)),
		},
	}
}

func rowsSelector(pipeline, task string) string {
	return selector("gantry_task_output", pipelineMatcher(pipeline), "task="+promString(task), `key="rows"`)
}

func rowCountLowRule(pipeline string, rc *spec.RowCounts) rule {
	return rule{
		Alert: "GantryRowCountLow",
		Expr:  fmt.Sprintf("min by (pipeline, env, task) (%s) < %d", rowsSelector(pipeline, rc.Task), rc.Min),
		Annotations: map[string]string{
			"summary": fmt.Sprintf("Pipeline %s: task %s wrote too few rows", pipeline, rc.Task),
			"description": fmt.Sprintf("Task %s of %s last reported {{ $value }} rows, "+
				"below the minimum of %d (monitoring.row_counts.min).", rc.Task, pipeline, rc.Min),
		},
	}
}

// rowCountDropRule compares the last count with the median over a week,
// which for a regular schedule is the median of the last runs' counts.
func rowCountDropRule(pipeline string, rc *spec.RowCounts) rule {
	sel := rowsSelector(pipeline, rc.Task)
	drop := strconv.FormatFloat(rc.MaxDrop, 'f', -1, 64)
	return rule{
		Alert: "GantryRowCountDropped",
		Expr: fmt.Sprintf("min by (pipeline, env, task) (%s)\n< (1 - %s) * min by (pipeline, env, task) (quantile_over_time(0.5, %s[%s]))",
			sel, drop, sel, rowDropWindow),
		Annotations: map[string]string{
			"summary": fmt.Sprintf("Pipeline %s: task %s's row count dropped", pipeline, rc.Task),
			"description": fmt.Sprintf("Task %s of %s last reported {{ $value }} rows, more than %s%% below "+
				"the median of the last %s (monitoring.row_counts.max_drop).",
				rc.Task, pipeline, strconv.FormatFloat(rc.MaxDrop*100, 'f', -1, 64), rowDropWindow),
		},
	}
}

func retryRateRule(pipeline string) rule {
	attempts := func(m string) string {
		return fmt.Sprintf("sum by (pipeline, env, task) (increase(%s[%s]))",
			selector("gantry_task_attempts_total", pipelineMatcher(pipeline), m), retryWindow)
	}
	ratio := strconv.FormatFloat(retryRatio, 'f', -1, 64)
	return rule{
		Alert: "GantryTaskRetryRateHigh",
		Expr: fmt.Sprintf("(\n  %s\n  /\n  %s\n) > %s",
			attempts("state=~"+promString(failedAttemptStates)), attempts(`state!="upstream_failed"`), ratio),
		Annotations: map[string]string{
			"summary": fmt.Sprintf("Pipeline %s: task {{ $labels.task }} is retrying often", pipeline),
			"description": fmt.Sprintf("{{ $value | humanizePercentage }} of the attempts of task {{ $labels.task }} of %s "+
				"in the last %s failed, timed out, ran out of memory or were lost (threshold %s%%).",
				pipeline, retryWindow, strconv.FormatFloat(retryRatio*100, 'f', -1, 64)),
		},
	}
}

func schedulerLagRule(pipeline string) rule {
	rate := func(series string) string {
		return fmt.Sprintf("sum by (pipeline, env) (rate(%s[%s]))", selector(series, pipelineMatcher(pipeline)), lagWindow)
	}
	return rule{
		Alert: "GantrySchedulerLagHigh",
		Expr: rate("gantry_scheduler_lag_seconds_sum") + "\n/\n" +
			rate("gantry_scheduler_lag_seconds_count") + "\n> " + seconds(lagThreshold),
		Annotations: map[string]string{
			"summary": fmt.Sprintf("Pipeline %s starts late", pipeline),
			"description": fmt.Sprintf("Runs of %s started on average {{ $value | humanizeDuration }} after their "+
				"scheduled tick in the last %s (threshold %s); time waiting for an upstream counts too.",
				pipeline, lagWindow, promDuration(lagThreshold)),
		},
	}
}

// deadLettersRule has no pipeline label: the gauge counts the whole queue.
func deadLettersRule() rule {
	return rule{
		Alert:  "GantryDeadLettersNotEmpty",
		Expr:   "max(gantry_dead_letters) > 0",
		Labels: map[string]string{"severity": severityWarning, "event": "failure"},
		Annotations: map[string]string{
			"summary": "Gantry's dead-letter queue is not empty",
			"description": "{{ $value }} task(s) ran out of retries and wait in the dead-letter queue. " +
				"List them with `gantry dlq list`; replay with `gantry dlq replay ID` once the cause is fixed.",
		},
	}
}
