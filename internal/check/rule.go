package check

import "slices"

// Rule is one check the gate makes. IDs are stable: suppressions, CI
// configurations and SARIF consumers refer to them.
type Rule struct {
	ID       string
	Severity Severity
	Title    string // one line
	Explain  string // why the rule exists and how to satisfy it
	Fix      string // the default one-line fix hint
}

// Rule IDs.
const (
	RuleInvalidSpec      = "invalid-spec"
	RuleTaskRetries      = "task-retries"
	RuleTaskTimeout      = "task-timeout"
	RuleRunTimeout       = "run-timeout"
	RuleTaskResources    = "task-resources"
	RuleParallelism      = "parallelism"
	RuleDeclaredUpstream = "declared-upstream"
	RuleProdRollback     = "prod-rollback"
	RuleProdApproval     = "prod-approval"
	RuleGateApproval     = "deploy-gates-approval"
	RuleTaskEnvApproval  = "task-environment-approval"
	RuleAlertRoute       = "alert-route"
	RuleAlertCoverage    = "alert-coverage"
	RuleDataSLA          = "data-sla"
	RuleRowCounts        = "row-count-monitoring"
	RuleRunbookExists    = "runbook-exists"
	RuleRunbookCoverage  = "runbook-coverage"
	RuleRunbookCommands  = "runbook-commands"
	RuleRunbookUnfilled  = "runbook-unfilled"
	RuleHardcodedSecret  = "hardcoded-secret"
	RuleMissingScript    = "missing-script"
	RuleUnreadableFile   = "unreadable-file"
	RuleBinaryFile       = "binary-file"
	RuleBadSuppression   = "bad-suppression"
)

// Rules returns every rule, in a stable order.
func Rules() []Rule { return slices.Clone(rules) }

// LookupRule returns the rule with that id.
func LookupRule(id string) (Rule, bool) {
	i := slices.IndexFunc(rules, func(r Rule) bool { return r.ID == id })
	if i < 0 {
		return Rule{}, false
	}
	return rules[i], true
}

func ruleFor(id string) Rule {
	r, ok := LookupRule(id)
	if !ok {
		panic("check: unknown rule " + id)
	}
	return r
}

var rules = []Rule{
	{
		ID: RuleInvalidSpec, Severity: SeverityError,
		Title: "Pipeline files and gantry.yaml parse and validate",
		Explain: `A pipeline or gantry.yaml that does not parse cannot be deployed, and the
gate cannot judge it: every other rule skips what did not parse.

Fix the error at the position given; 'gantry validate' reports the same
errors.`,
		Fix: "fix the file; gantry validate shows every error",
	},
	{
		ID: RuleTaskRetries, Severity: SeverityError,
		Title: "Every task retries at least once (2 attempts or more)",
		Explain: `Most task failures in production are transient: a network blip, a busy
database, a restarted node. A task with a single attempt turns each of them
into a failed run, an alert and a manual replay at night.

Set retries with at least 2 attempts on the task, or for every task in the
pipeline's defaults:

    defaults:
      retries: {attempts: 3, backoff: exponential, initial: 30s, max: 10m}

A task that must not be retried (it is deterministic, or not idempotent)
can say so with a suppression and its reason:

    retries: 1  # gantry:ignore task-retries lint is deterministic`,
		Fix: "set retries: {attempts: 3, backoff: exponential} on the task or in defaults",
	},
	{
		ID: RuleTaskTimeout, Severity: SeverityError,
		Title: "Every task has a timeout",
		Explain: `A hung task (a stuck connection, a lock wait, a dead NFS mount) holds its
pool slot and its run forever, and nobody is told: nothing failed. A timeout
turns the hang into a failure that is retried and alerted on.

Set timeout on the task, or for every task in defaults.timeout.`,
		Fix: "set timeout: 10m on the task or defaults.timeout",
	},
	{
		ID: RuleRunTimeout, Severity: SeverityError,
		Title: "The pipeline has a run timeout",
		Explain: `Task timeouts bound one attempt; retries with back-off can still stretch a
run far past when its data is needed. A run timeout bounds the whole run.

Set timeout at the top level of the pipeline, longer than the critical path
of task timeouts.`,
		Fix: "set timeout: 1h at the top level of the pipeline",
	},
	{
		ID: RuleTaskResources, Severity: SeverityError,
		Title: "Every task has memory and CPU limits",
		Explain: `A task without limits can take the whole machine, starving every other
task and the scheduler with it; a memory leak becomes an outage instead of
one failed attempt.

Set resources.memory and resources.cpu on the task or in defaults.resources:

    defaults:
      resources: {memory: 512Mi, cpu: "1"}`,
		Fix: `set resources: {memory: 512Mi, cpu: "1"} on the task or in defaults`,
	},
	{
		ID: RuleTaskEnvApproval, Severity: SeverityError,
		Title: "A task into a protected environment waits for an approval task",
		Explain: `A delivery pipeline's deploy to prod is a task like any other: without an
approval task upstream of it, whoever starts the run ships to prod, and
nobody else looks at what is shipped. Gantry runs tasks into a protected
environment (one whose approval.required is 1 or more) only in a run of a
deployed revision there, and this rule makes that run stop for people first.

Put a task of kind approval upstream of it, on every path:

    - id: approve_prod
      kind: approval
      needs: [smoke_staging]
      approval: {required: 1, approvers: [release-managers]}
    - id: deploy_prod
      needs: [approve_prod]
      environment: prod

Nobody may approve a run they started.`,
		Fix: "add a task of kind approval that the task needs, directly or through its needs",
	},
	{
		ID: RuleParallelism, Severity: SeverityError,
		Title: "The pipeline sets its parallelism",
		Explain: `How many tasks of one run may run at once decides the load a run puts on
its sources and sinks. Left to the default, a wide DAG can open more
connections than a database allows.

Set concurrency.parallelism.`,
		Fix: "set concurrency: {parallelism: 4}",
	},
	{
		ID: RuleDeclaredUpstream, Severity: SeverityError,
		Title: "A pipeline that consumes another pipeline's dataset waits for it",
		Explain: `When a pipeline reads a dataset another pipeline writes, scheduling it a
fixed time after its producer ("the load ends by 01:30, so start at 02:00")
works until the producer is late once; then it silently reads yesterday's
or half-written data.

List the producer in schedule.after, so a run starts only when the
producer's run for the same interval succeeded:

    schedule:
      cron: "0 2 * * *"
      after: [raw_orders_ingest]
    consumes: [raw.orders]`,
		Fix: "add the producing pipeline to schedule.after",
	},
	{
		ID: RuleProdRollback, Severity: SeverityError,
		Title: "A pipeline deployed to production has a rollback plan",
		Explain: `A new revision that fails its first production run should not leave
production broken until someone wakes up. With a rollback plan, Gantry goes
back to the previous revision automatically.

Set rollback.on_first_run_failure: previous_revision. Production
environments are those marked production: true in gantry.yaml, or named
prod or production. With --env, only that environment is checked.`,
		Fix: "set rollback: {on_first_run_failure: previous_revision}",
	},
	{
		ID: RuleProdApproval, Severity: SeverityError,
		Title: "A production environment requires an approval",
		Explain: `Production changes go through a second pair of eyes. An environment
that needs no approval lets any deployment reach production unreviewed.

Set approval.required to 1 or more for the environment, in gantry.yaml
(for every pipeline) or in the pipeline's environments.`,
		Fix: "set approval: {required: 1} on the environment",
	},
	{
		ID: RuleGateApproval, Severity: SeverityWarning,
		Title: "deploy.gates does not let a change into a protected environment unapproved",
		Explain: `A protected environment (approval.required of 1 or more) asks for its
approvals for every class of change, L1 to L4, unless gantry.yaml's
deploy.gates names a class and leaves the approval gate out of it. Then a
change of that class (a param, a script, a task setting) reaches the
protected environment without anyone looking at it.

Add approval to the class in deploy.gates, or remove the class to get the
default (the approval applies), or suppress this finding with a reason
when skipping review is intended.`,
		Fix: "add approval to the class, e.g. L2: [check, staging, approval]",
	},
	{
		ID: RuleAlertRoute, Severity: SeverityError,
		Title: "Failures go to an alert route that exists and reaches a channel",
		Explain: `A failure nobody hears about is found by the people who use the data.
Every pipeline names an alert route; the route must be declared in
gantry.yaml and reach at least one channel.

    alerts: {route: data-oncall}        # in the pipeline
    alerts:                             # in gantry.yaml
      channels: {oncall: {type: pagerduty, secret: pd_key}}
      routes: {data-oncall: {channels: [oncall]}}`,
		Fix: "set alerts: {route: NAME} and declare the route in gantry.yaml",
	},
	{
		ID: RuleAlertCoverage, Severity: SeverityError,
		Title: "The alert route sends every failure mode the pipeline can raise to a channel",
		Explain: `A route that sends only some alerts hides the others: a task killed for
its memory, an attempt lost in a crash, a dead letter waiting for a replay
or an automatic rollback pages nobody. The gate walks every failure mode
the pipeline can raise through the routing tree, as the alert manager
routes it (its route, child routes by match labels, continue, on), for
each production environment, and wants each to reach at least one channel:

    failure (RunFailed), timeout (RunTimedOut), oom (TaskOutOfMemory),
    lost (TaskLost), dead_letter (DeadLettersPending); sla (SLAMissed)
    with sla.deadline; stale (DataStale) with sla.freshness; row_count
    (RowCountMissing, RowCountLow, RowCountDropped) with monitoring.row_counts;
    rollback (RolledBack) with rollback.on_first_run_failure: previous_revision

A route's on: list names kinds (memory for oom, freshness for stale); an
empty on: sends every kind but success and retry. A mode nobody should be
paged for is suppressed explicitly, with its reason, in gantry.yaml (for
every pipeline) or in the pipeline's alerts:

    alerts:
      suppress:
        - {mode: oom, reason: "memory is capped by the warehouse; a RunFailed follows"}

Every mode the route sends also needs a section in the runbook its alerts
link to (runbook-coverage).`,
		Fix: "send the mode to a channel (add its kind to the route's on:, or remove on:), or add alerts.suppress: [{mode: MODE, reason: WHY}]",
	},
	{
		ID: RuleDataSLA, Severity: SeverityError,
		Title: "A pipeline that produces data has a freshness SLA and a deadline",
		Explain: `Consumers of a dataset care about when it is ready and how old it may
get. Without a deadline a late run is not noticed; without a freshness SLA
a pipeline that quietly stopped running is not noticed either.

Set both for every pipeline with produces:

    sla: {deadline: "06:00", freshness: 26h}`,
		Fix: `set sla: {deadline: "06:00", freshness: 26h}`,
	},
	{
		ID: RuleRowCounts, Severity: SeverityError,
		Title: "A pipeline that produces data watches row counts",
		Explain: `A run that succeeds but writes no rows, or half the usual number, is the
most common silent data failure. Row-count monitoring on the task that
writes the data catches it.

    monitoring:
      row_counts: {task: load, min: 1000, max_drop: 50%}

The task reports rows by writing rows=N to the file named in
$GANTRY_OUTPUT.`,
		Fix: "set monitoring: {row_counts: {task: TASK, min: N, max_drop: 50%}}",
	},
	{
		ID: RuleRunbookExists, Severity: SeverityError,
		Title: "The pipeline has a runbook",
		Explain: `When a pipeline fails at night, the person on call may never have seen
it. A runbook says what it does and how to recover it.

Set runbook: to a Markdown file in the project, relative to the project
folder, and write it.`,
		Fix: "set runbook: runbooks/NAME.md and write the file",
	},
	{
		ID: RuleRunbookCoverage, Severity: SeverityError,
		Title: "The runbook covers at least three failure modes with commands, and every mode its alerts link to",
		Explain: `A runbook that says "check the logs" does not help at 3 a.m. It must cover
at least three failure modes (for example source unavailable, schema drift,
transformation timeout), each a section under its own heading with a
diagnosis part and a recovery part, each naming at least one concrete
command in a code span or code block.

    ## Failure: source unavailable
    Diagnosis: ` + "`gantry logs RUN_ID extract`" + ` shows ...
    Recovery: ` + "`gantry dlq replay ID`" + `

A part starts at a heading, or a line beginning with a label and a colon:
Diagnosis (or Cause, Investigation, Triage) and Recovery (or Fix,
Mitigation, Remediation, Resolution).

Each alert links to the runbook section of its failure mode; every mode
the pipeline's route sends needs one: a heading below the title whose
anchor is the mode's (#task-failed, #timeout, #out-of-memory,
#lost-attempt, #sla-missed, #stale-data, #row-count, #dead-letters,
#rollback) or whose words name it ("failed", "timed out", "memory",
"lost", "SLA", "stale", "rows", "dead letter", "roll back").`,
		Fix: "add failure-mode sections with Diagnosis: and Recovery: steps naming commands",
	},
	{
		ID: RuleRunbookCommands, Severity: SeverityError,
		Title: "Gantry commands named in a runbook exist",
		Explain: `A runbook that tells the on-call engineer to run a command that does not
exist (renamed, never written, mistyped) fails them when it matters.

Every 'gantry ...' in a code span or block of the runbook must be a real
command with real flags and the right number of arguments, read with the
shell's quoting (--reason "bad data" is one argument); see 'gantry --help'.
The pipelines, tasks and environments it names must exist: a runbook that
names a task since renamed sends the reader to a log that is not there.
Words in capitals (RUN_ID, TASK) and $VARIABLES are placeholders.`,
		Fix: "use a real command; see gantry --help",
	},
	{
		ID: RuleRunbookUnfilled, Severity: SeverityError,
		Title: "Nothing in the runbook is left to fill",
		Explain: `gantry runbook generate writes what Gantry knows of a pipeline and marks
what only a person can know (who uses the data, whom to ask when a source
is down) with ` + FillMarker + `. Each is reported until the line,
marker and all, is replaced by what the reader needs.`,
		Fix: "replace the marked line with what the on-call reader needs to know",
	},
	{
		ID: RuleHardcodedSecret, Severity: SeverityError,
		Title: "No secret is written into a file",
		Explain: `A secret in a file is in every clone, fork, backup and CI log of the
repository, forever: removing it later does not remove it from history.

Reference secrets instead of writing them: {secret: NAME} in a pipeline's
env, ${VAR} in scripts and CI files, ${{ secrets.X }} in GitHub workflows.
Then rotate the secret that was written down. A false positive can be
suppressed on its line with '# gantry:ignore hardcoded-secret REASON'.`,
		Fix: "reference the secret ({secret: NAME}, ${VAR}) and rotate the exposed value",
	},
	{
		ID: RuleMissingScript, Severity: SeverityError,
		Title: "Scripts a task runs exist",
		Explain: `A task whose run: starts with a path (./scripts/load.sh) fails on its first
attempt if the file is not there. The gate also cannot scan it for secrets.

Commit the script, or fix the path (relative to the task's workdir, which
is the project folder by default). A script built by an earlier task can
be suppressed with a reason.`,
		Fix: "commit the script or fix the path in run:",
	},
	{
		ID: RuleUnreadableFile, Severity: SeverityError,
		Title: "Every file the gate scans can be read",
		Explain: `The gate cannot vouch for a file it cannot read: it may hold a secret.
Fix the file's permissions, or remove it from the project.`,
		Fix: "make the file readable",
	},
	{
		ID: RuleBinaryFile, Severity: SeverityInfo,
		Title: "Binary files are skipped",
		Explain: `A file the gate would scan (a script, a Dockerfile, an .env file) holds
binary data, so it is not scanned for secrets. This is for information;
check that the file is meant to be binary.`,
		Fix: "",
	},
	{
		ID: RuleBadSuppression, Severity: SeverityError,
		Title: "Suppressions name a known rule, give a reason and are not expired",
		Explain: `A suppression silences a rule where it does not fit; its reason is what
a reviewer reads. A suppression without a reason, for an unknown rule, or
past its expiry date does not apply and is reported.

Inline, on the line of the finding or the line above:

    # gantry:ignore RULE reason words
    <!-- gantry:ignore RULE reason words -->   (Markdown)

Or in .gantry-ignore.yaml in the project folder:

    - rule: hardcoded-secret
      path: tests/fixtures/*.env
      reason: fake credentials for the integration tests
      expires: 2026-12-31`,
		Fix: "give the rule id, a reason and (in .gantry-ignore.yaml) an expiry date",
	},
}
