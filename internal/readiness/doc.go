// Package readiness is the SRE's verdict on one pipeline in one
// environment, from live data: READY or NOT READY, with the reasons.
//
// # Model
//
// An assessment reads a subject — the pipeline and project as a revision
// declares them, the gate's report over that revision, and its runbook —
// and the store's history of the environment, and judges ten criteria:
//
//   - gate: the readiness gate (internal/check) has no error finding;
//   - coverage: every failure and degradation mode the pipeline can raise
//     (Modes) reaches a channel through the routing tree, or is suppressed
//     with a reason; silences in force are shown beside each mode;
//   - test_fires: every channel a mode reaches took a test alert in the
//     last 30 days (TestFireMaxAge);
//   - sla: the newest judged interval of the last 30 met its deadline
//     (finish time p50/p95 against the deadline are evidence);
//   - freshness: the newest succeeded interval is younger than
//     sla.freshness;
//   - row_counts: the newest succeeded run's rows are not anomalous;
//   - staging: the subject revision's staging run ran the whole DAG and
//     succeeded;
//   - rollback: a plan is set (rollback.on_first_run_failure); the
//     previous revision to return to is named when there is one;
//   - backfill: the runbook has a `gantry backfill PIPELINE` command whose
//     dry run plans at least one run;
//   - sizing: no task is under-provisioned (see Sizing); wasteful limits
//     are notes, not reasons.
//
// A criterion with nothing to judge yet (no runs in a new environment) is
// met and says so in its notes; the staging run stands in for the
// environment's own history in sizing.
//
// # Stable JSON
//
// Report's JSON is the API's and `gantry readiness --format json`'s; its
// field names are part of the interface (Version says which). Text and
// Markdown render the same report for a terminal and for a change
// request.
package readiness
