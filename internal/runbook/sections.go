package runbook

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/spec"
)

// Commands every section draws on.

func (g gen) runsCmd(limit int) string {
	return fmt.Sprintf("$ gantry runs --pipeline %s%s --limit %d", g.p.Name, g.envFlag(), limit)
}

func (g gen) silenceCmd(why string) string {
	env := ""
	if g.env != "" {
		env = " --match env=" + g.env
	}
	return fmt.Sprintf("$ gantry silence add --match pipeline=%s%s --duration 2h --reason %q", g.p.Name, env, why)
}

func (g gen) envOrPlaceholder() string {
	if g.env == "" {
		return "ENV"
	}
	return g.env
}

func (g gen) backfillCmds() []string {
	return []string{
		fmt.Sprintf("$ gantry backfill %s --from YYYY-MM-DD --to YYYY-MM-DD --dry-run", g.p.Name),
		fmt.Sprintf("$ gantry backfill %s --from YYYY-MM-DD --to YYYY-MM-DD", g.p.Name),
	}
}

func (g gen) afterCmds() []string {
	check := "Check it is healthy again: the newest run succeeded and no alert still fires."
	out := []string{check, g.runsCmd(1), fmt.Sprintf("$ gantry alerts list --pipeline %s%s", g.p.Name, g.envFlag())}
	if g.p.SLA.Freshness > 0 {
		out[0] = "Check it is healthy again: the newest run succeeded, its data is fresh (FRESHNESS), and no alert still fires."
		out = slices.Insert(out, 2, "$ gantry pipelines")
	}
	return out
}

func (g gen) overview() part {
	p := g.p
	var b strings.Builder
	b.WriteString("## Overview\n\n")
	if p.Description != "" {
		fmt.Fprintf(&b, "%s\n\n", p.Description)
	}
	owner := p.Owner
	if owner == "" {
		owner = "not set (`owner:`)"
	}
	fmt.Fprintf(&b, "- Owner: %s; alerts go to route `%s`.\n", owner, orNone(p.Alerts.Route))
	fmt.Fprintf(&b, "- Schedule: %s.\n", scheduleWords(p))
	fmt.Fprintf(&b, "- SLA: %s.\n", slaWords(p))
	fmt.Fprintf(&b, "- Upstream: %s.\n", g.upstream())
	fmt.Fprintf(&b, "- Downstream: %s.\n", g.downstream())
	fmt.Fprintf(&b, "- Reads datasets %s; writes %s.\n", list(p.Consumes, "`"), list(p.Produces, "`"))
	if rc := p.Monitoring.RowCounts; rc != nil {
		fmt.Fprintf(&b, "- Row counts: `%s` reports `rows`; at least %d, and no drop of more than %.0f%% from the median of recent runs.\n", rc.Task, rc.Min, rc.MaxDrop*100)
	}
	if p.Timeout > 0 {
		fmt.Fprintf(&b, "- A run is stopped after %s.\n", dur(p.Timeout))
	}
	b.WriteString("\n| task | needs | retries | timeout | memory |\n|---|---|---|---|---|\n")
	for _, t := range p.Tasks {
		needs := "—"
		if len(t.Needs) > 0 {
			needs = strings.Join(t.Needs, ", ")
		}
		timeout := "none"
		if t.Timeout > 0 {
			timeout = dur(t.Timeout)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", t.ID, needs, retryWords(t.Retries), timeout, memory(t.Resources.Memory))
	}
	return part{key: "overview", text: b.String(), tail: "\n" +
		fill("Who uses this data or this delivery, and what they lose when it is late or wrong.") + "\n" +
		fill("Whom to escalate to when the steps below do not help, and how to reach them.")}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func slaWords(p *spec.Pipeline) string {
	var parts []string
	if p.SLA.Deadline != "" {
		zone := "UTC"
		if p.Schedule != nil && p.Schedule.Timezone != "" {
			zone = p.Schedule.Timezone
		}
		parts = append(parts, fmt.Sprintf("each interval's run must succeed by %s %s", p.SLA.Deadline, zone))
	}
	if p.SLA.Freshness > 0 {
		parts = append(parts, fmt.Sprintf("data older than %s is stale", dur(p.SLA.Freshness)))
	}
	if len(parts) == 0 {
		return "none declared"
	}
	return strings.Join(parts, "; ")
}

// upstream names the pipelines p waits for or reads from, and why.
func (g gen) upstream() string {
	var out []string
	for _, q := range g.in.Pipelines {
		if q.Name == g.p.Name {
			continue
		}
		var why []string
		if g.p.Schedule != nil && slices.Contains(g.p.Schedule.After, q.Name) {
			why = append(why, "runs after it")
		}
		if shared := common(q.Produces, g.p.Consumes); len(shared) > 0 {
			why = append(why, "writes "+list(shared, "`"))
		}
		if len(why) > 0 {
			out = append(out, fmt.Sprintf("`%s` (%s)", q.Name, strings.Join(why, "; ")))
		}
	}
	return orNoPipeline(out)
}

// downstream names the pipelines that wait for or read from p, and why.
func (g gen) downstream() string {
	var out []string
	for _, q := range g.in.Pipelines {
		if q.Name == g.p.Name {
			continue
		}
		var why []string
		if q.Schedule != nil && slices.Contains(q.Schedule.After, g.p.Name) {
			why = append(why, "runs after it")
		}
		if shared := common(g.p.Produces, q.Consumes); len(shared) > 0 {
			why = append(why, "reads "+list(shared, "`"))
		}
		if len(why) > 0 {
			out = append(out, fmt.Sprintf("`%s` (%s)", q.Name, strings.Join(why, "; ")))
		}
	}
	return orNoPipeline(out)
}

func orNoPipeline(names []string) string {
	if len(names) == 0 {
		return "no pipeline of this project"
	}
	return strings.Join(names, ", ")
}

func common(a, b []string) []string {
	var out []string
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func (g gen) firstLook() part {
	return part{key: "first-look", text: "## First look\n\n" +
		"Which runs failed and how, then the failing task's log:\n\n```sh\n" +
		strings.TrimPrefix(g.runsCmd(5), "$ ") + "\n" +
		"gantry runs show RUN_ID\n" +
		"gantry logs RUN_ID TASK\n" +
		fmt.Sprintf("gantry dlq list --pipeline %s\n", g.p.Name) +
		fmt.Sprintf("gantry alerts list --pipeline %s%s\n", g.p.Name, g.envFlag()) +
		"```\n"}
}

func (g gen) taskFailed() part {
	var b strings.Builder
	b.WriteString("## Task failed\n\nA `RunFailed` alert: a task failed on every attempt and the run failed.\nEach task's retry policy says how many attempts that took.\n\n")
	for _, t := range g.p.Tasks {
		fmt.Fprintf(&b, "### `%s` failed\n\nRetries: %s.\n\n", t.ID, retryWords(t.Retries))
		fmt.Fprintf(&b, "Diagnosis: `gantry logs RUN_ID %s` shows each attempt's output and exit code;\n`gantry runs show RUN_ID` the attempts' errors.\n\n", t.ID)
		down := g.downstreamTasks(t.ID)
		if len(down) == 0 {
			fmt.Fprintf(&b, "Recovery: fix the cause, then replay `%s` in the same run:\n\n", t.ID)
		} else {
			fmt.Fprintf(&b, "Recovery: fix the cause, then replay `%s` and what follows it (%s) in the same run:\n\n", t.ID, strings.Join(down, ", "))
		}
		b.WriteString("```sh\n" + strings.TrimPrefix(g.silenceCmd("fixing "+t.ID), "$ ") + "\n")
		fmt.Fprintf(&b, "gantry dlq list --pipeline %s\ngantry dlq replay DLQ_ID\n```\n\n", g.p.Name)
	}
	b.WriteString("When several intervals failed, backfill them in order (see Backfill); when\nthe failure came with a new revision, roll back (see Rollback). ")
	b.WriteString("Then check the pipeline is healthy again:\n\n```sh\n" + strings.TrimPrefix(g.runsCmd(1), "$ ") + "\n```\n")
	return part{key: "task-failed", text: b.String()}
}

// downstreamTasks are the tasks that depend on id, directly or not, in
// file order.
func (g gen) downstreamTasks(id string) []string {
	seen := map[string]bool{id: true}
	var out []string
	for changed := true; changed; {
		changed = false
		for _, t := range g.p.Tasks {
			if seen[t.ID] {
				continue
			}
			if slices.ContainsFunc(t.Needs, func(n string) bool { return seen[n] }) {
				seen[t.ID], changed = true, true
			}
		}
	}
	for _, t := range g.p.Tasks {
		if t.ID != id && seen[t.ID] {
			out = append(out, t.ID)
		}
	}
	return out
}

func (g gen) timeout() part {
	var limits []string
	for _, t := range g.p.Tasks {
		if t.Timeout > 0 {
			limits = append(limits, fmt.Sprintf("`%s` %s", t.ID, dur(t.Timeout)))
		}
	}
	run := "no run timeout"
	if g.p.Timeout > 0 {
		run = "the run " + dur(g.p.Timeout)
	}
	return part{key: "timeout", text: section("Timeout",
		fmt.Sprintf("a `RunTimedOut` alert: a task or the run went over its time limit and its\nprocess group was killed. Limits: %s; %s.", orNone(strings.Join(limits, ", ")), run),
		[]string{
			"See which attempt ran out of time and how far it got, and whether an earlier run still holds the pool:",
			"$ gantry runs show RUN_ID",
			"$ gantry logs RUN_ID TASK",
			fmt.Sprintf("$ gantry runs --pipeline %s --state running", g.p.Name),
		},
		append([]string{
			"A stuck dependency or oversized input: fix it, then replay the task. Genuine growth: raise its `timeout:`, deploy through staging, then replay.",
			g.silenceCmd("timeout: fixing"),
			"$ gantry dlq replay DLQ_ID",
		}, g.afterCmds()...))}
}

func (g gen) outOfMemory() part {
	var limits []string
	for _, t := range g.p.Tasks {
		peak := "no attempt recorded"
		if v, ok := g.in.Peaks[t.ID]; ok {
			peak = "observed peak " + spec.FormatSize(v)
		}
		limits = append(limits, fmt.Sprintf("- `%s`: limit %s, %s", t.ID, memory(t.Resources.Memory), peak))
	}
	return part{key: "out-of-memory", text: section("Out of memory",
		"a `TaskOutOfMemory` alert: a task went over its memory limit and was killed.\n\n"+strings.Join(limits, "\n"),
		[]string{
			"Each attempt's peak memory, and how far the task got:",
			"$ gantry runs show RUN_ID",
			"$ gantry logs RUN_ID TASK",
		},
		append([]string{
			"An oversized input is fixed at its source; genuine growth needs a higher `resources.memory`, deployed through staging and promoted, then a replay.",
			g.silenceCmd("out of memory: fixing"),
			"$ gantry dlq replay DLQ_ID",
		}, g.afterCmds()...))}
}

func (g gen) lost() part {
	return part{key: "lost-attempt", text: section("Lost attempt",
		"a `TaskLost` alert: the process running an attempt stopped (a crash, `kill -9`, a reboot,\na worker that lost its lease) and the retries were used up by more of them.",
		[]string{
			"The attempts recorded lost, then the server's or worker's own log for why it stopped:",
			"$ gantry runs show RUN_ID",
			"$ gantry health --ready",
		},
		append([]string{
			"Once the servers are stable, replay; tasks get an attempt id to be idempotent with.",
			"$ gantry dlq replay DLQ_ID",
		}, g.afterCmds()...))}
}

func (g gen) sourceUnavailable() part {
	roots := g.roots()
	retries := "see its retry policy"
	if len(roots) > 0 {
		retries = retryWords(g.p.Task(roots[0]).Retries)
	}
	diag := []string{fmt.Sprintf("The tasks with no upstream task read the sources: %s. Their logs say what could not be reached:", list(roots, "`"))}
	if len(roots) == 1 {
		diag[0] = fmt.Sprintf("`%s` reads the source (it has no upstream task); its log says what could not be reached:", roots[0])
	}
	for _, r := range roots {
		diag = append(diag, "$ gantry logs RUN_ID "+r)
	}
	return part{key: "source-unavailable", text: section("Source unavailable",
		fmt.Sprintf("a task that reads a source (%s) fails and is retried (%s); `RunFailed` fires once the retries run out.", strings.ReplaceAll(list(roots, "`"), " and ", ", "), retries),
		diag,
		append([]string{
			"Wait for, or ask for, the source; silence the alerts meanwhile. Then replay, and backfill the intervals missed:",
			g.silenceCmd("source unavailable"),
			"$ gantry dlq replay DLQ_ID",
			g.backfillCmds()[1],
		}, g.afterCmds()...)),
		tail: "\n" + fill("How to confirm the source is down (its status page, its on-call) and whom to ask.")}
}

func (g gen) schemaDrift() part {
	t := g.rowTask()
	return part{key: "schema-drift", text: section("Schema drift",
		"a task fails on input whose columns changed, on every attempt (retries do not help: the input does not change); or `"+t+"` reports far fewer rows.",
		[]string{
			"Compare what the tasks read with what they expect:",
			"$ gantry logs RUN_ID " + t,
			"$ gantry runs show RUN_ID",
		},
		append([]string{
			"A breaking change upstream: ask the source's owner to restore the format, then replay. An intended change: update the task, run `gantry validate` and `gantry check`, deploy through staging, then replay and backfill what was missed.",
			g.silenceCmd("schema drift"),
			"$ gantry dlq replay DLQ_ID",
			g.backfillCmds()[1],
		}, g.afterCmds()...)),
		tail: "\n" + fill("Who owns the source's format, and which changes are safe to map.")}
}

func (g gen) rowCount() part {
	rc := g.p.Monitoring.RowCounts
	return part{key: "row-count", text: section("Row count",
		fmt.Sprintf("the run succeeds, but a `RowCountLow`, `RowCountDropped` or `RowCountMissing` alert fires for `%s`: fewer than %d rows, a drop of more than %.0f%%, or no `rows` reported.", rc.Task, rc.Min, rc.MaxDrop*100),
		[]string{
			"Compare the `rows` each run reported, then look at the input:",
			g.runsCmd(7),
			"$ gantry runs show RUN_ID",
			"$ gantry logs RUN_ID " + rc.Task,
		},
		append([]string{
			"An incomplete source: once it is complete, backfill the interval. A real dip (a holiday): nothing to replay; note it in the incident.",
			g.silenceCmd("row count: checking the source"),
			g.backfillCmds()[0],
			g.backfillCmds()[1],
		}, g.afterCmds()...))}
}

func (g gen) slaMissed() part {
	return part{key: "sla-missed", text: section("SLA missed",
		fmt.Sprintf("an `SLAMissed` alert: no run of the interval succeeded by %s.", g.p.SLA.Deadline),
		[]string{
			"Did the run fail, is it still running, or did it never start (a paused pipeline, a stopped server, an upstream not done)?",
			g.runsCmd(5),
			"$ gantry health --ready",
		},
		append([]string{
			"Fix what the failing run says and replay it, or start the missing interval:",
			"$ gantry dlq replay DLQ_ID",
			fmt.Sprintf("$ gantry trigger %s --date YYYY-MM-DD", g.p.Name),
			fmt.Sprintf("$ gantry resume %s", g.p.Name),
		}, g.afterCmds()...))}
}

func (g gen) stale() part {
	return part{key: "stale-data", text: section("Stale data",
		fmt.Sprintf("a `DataStale` alert: the newest succeeded interval is older than %s.", dur(g.p.SLA.Freshness)),
		[]string{
			"Find the last succeeded run and what came after it:",
			g.runsCmd(10),
		},
		append([]string{
			"Backfill the intervals since the last success, in order:",
			g.backfillCmds()[0],
			g.backfillCmds()[1],
		}, g.afterCmds()...))}
}

func (g gen) slow() part {
	return part{key: "slow-run", text: section("Slow run",
		"a `RunSlow` warning: a run that succeeded took much longer than the recent p95.",
		[]string{
			"Compare with recent runs; see which task grew:",
			g.runsCmd(20),
			"$ gantry runs show RUN_ID",
		},
		[]string{
			"Bigger input or contention: nothing to replay. If it keeps growing, raise the task's `timeout:` before it times out, and deploy through staging.",
			fmt.Sprintf("$ gantry diff %s --env %s", g.p.Name, g.envOrPlaceholder()),
		})}
}

func (g gen) retries() part {
	return part{key: "retries", text: section("Retries",
		"a `RetryRateHigh` warning: many attempts are retries, though runs still succeed.",
		[]string{
			"See which task retries, and why its first attempts fail:",
			g.runsCmd(10),
			"$ gantry logs RUN_ID TASK --attempt 1",
		},
		[]string{
			"A flaky source or a resource limit: fix it before the retries run out. While fixing:",
			g.silenceCmd("retries: fixing"),
		})}
}

func (g gen) schedulerLag() part {
	return part{key: "scheduler-lag", text: section("Scheduler lagging",
		fmt.Sprintf("a `SchedulerLagging` alert: a scheduled run of %s started more than `alerts.scheduler_lag` (5m by default) after its interval ended, or has not started.", g.p.Name),
		[]string{
			"Is a server leading, and are its workers alive? Is the pipeline paused, or its runs queued behind `max_active_runs` or a pool?",
			"$ gantry workers",
			"$ gantry health --ready",
			"$ gantry pipelines",
			g.runsCmd(5),
		},
		append([]string{
			"Resume a paused pipeline, or start a server where none leads; the missed intervals then run as its `catchup` says. Backfill what it skips:",
			fmt.Sprintf("$ gantry resume %s", g.p.Name),
			g.backfillCmds()[0],
		}, g.afterCmds()...))}
}

func (g gen) deadLetters() part {
	return part{key: "dead-letters", text: section("Dead letters",
		"a `DeadLettersPending` alert: tasks whose retries ran out wait for a replay.",
		[]string{
			fmt.Sprintf("$ gantry dlq list --pipeline %s", g.p.Name),
			"$ gantry dlq show DLQ_ID",
		},
		append([]string{
			"Fix the cause, then replay one, or all of this pipeline's:",
			"$ gantry dlq replay DLQ_ID",
			fmt.Sprintf("$ gantry dlq replay --all --pipeline %s%s", g.p.Name, g.envFlag()),
		}, g.afterCmds()...))}
}

func (g gen) rollback() part {
	env := g.envOrPlaceholder()
	auto := "The pipeline is not rolled back automatically (`rollback.on_first_run_failure` is not `previous_revision`)."
	symptom := "a new revision is bad and must be taken back."
	if g.p.Rollback.OnFirstRunFailure == "previous_revision" {
		auto = "A new revision whose first run fails is rolled back to the previous one automatically (`rollback.on_first_run_failure: previous_revision`)."
		symptom = "a `RolledBack` alert: a new revision's first run failed and Gantry made the previous revision active again."
	}
	return part{key: "rollback", text: section("Rollback", symptom+" "+auto,
		[]string{
			"Which revision is active, and what the new one changed:",
			fmt.Sprintf("$ gantry deployments %s --env %s", g.p.Name, env),
			fmt.Sprintf("$ gantry revisions %s", g.p.Name),
			fmt.Sprintf("$ gantry diff %s --env %s", g.p.Name, env),
		},
		append([]string{
			"To roll back by hand, to the previous revision or a named one; then replay what failed:",
			fmt.Sprintf("$ gantry rollback %s --env %s --reason \"what went wrong\"", g.p.Name, env),
			fmt.Sprintf("$ gantry rollback %s --env %s --to REVISION --reason \"what went wrong\"", g.p.Name, env),
			"$ gantry dlq replay DLQ_ID",
		}, g.afterCmds()...))}
}

func (g gen) backfill() part {
	return part{key: "backfill", text: "## Backfill\n\n" +
		"To run missed or bad intervals again, oldest first: list them with a dry run,\nthen run them and follow the backfill.\n\n```sh\n" +
		strings.TrimPrefix(g.backfillCmds()[0], "$ ") + "\n" +
		strings.TrimPrefix(g.backfillCmds()[1], "$ ") + "\n" +
		"gantry backfill status BACKFILL_ID\n" +
		"gantry backfill cancel BACKFILL_ID\n```\n\n" +
		"A backfill runs every task of each interval again: it is safe where the tasks\nreplace an interval's output rather than add to it.\n"}
}
