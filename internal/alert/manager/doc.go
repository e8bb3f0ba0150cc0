// Package manager is Gantry's alerting engine: it evaluates alert
// conditions in a loop of its own, routes the alerts through the project's
// routing tree, groups and de-duplicates them, honours silences, delivers
// them through the channels of internal/alert and records every step in
// the store, so that a restart neither pages again nor forgets. It knows no
// channel kind: Config.Notifiers (app.Notifiers) builds each channel's
// notifier from its Receiver, the channel's config with its secrets
// resolved.
//
// # Conditions
//
// Each pass (Evaluate) reads the store and decides, for every pipeline and
// environment it is given (Target), which conditions hold now. Conditions
// are levels, not events: an alert fires while its condition holds and
// resolves, with a resolve notification, when it stops holding.
//
//   - RunFailed, RunTimedOut, TaskOutOfMemory, TaskLost (kinds failure,
//     timeout, memory, lost): a final run since the last succeeded one
//     failed that way. Retries do not count — only the run's final outcome —
//     so a task tried three times pages once. The next succeeded run of
//     the pipeline in that environment resolves them.
//   - SLAMissed (sla): the interval due before the last sla.deadline (HH:MM
//     in the schedule's zone) has no succeeded run. It fires at the
//     deadline, whether the run failed, still runs, waits on an upstream or
//     was never created: the pass returns the next deadline as its wake-up.
//   - DataStale (freshness): the newest succeeded interval ended more than
//     sla.freshness ago; the loop wakes when that time comes.
//   - RowCountMissing, RowCountLow, RowCountDropped (row_count): the watched
//     task of the newest succeeded run reported no rows output, fewer than
//     min, or more than max_drop below the median of the Window (7)
//     succeeded runs before it (with at least 3 of them).
//   - RunSlow, RetryRateHigh (degradation): the newest succeeded run took
//     longer than duration_factor (2) × the p95 of the Window (20) before it,
//     given at least 5; more than retry_rate (50%) of the attempts started
//     in retry_window (1h) were retries, given at least 5 attempts.
//   - DeadLettersPending (dead_letter): unreplayed dead letters exist.
//   - SchedulerLagging (scheduler_lag): the newest scheduled run has not
//     started scheduler_lag (5m) after its interval ended, or a due interval
//     has no run that long after its end. Paused pipelines do not lag.
//   - RolledBack (rollback): raised by the server through Raise; resolves
//     after the next succeeded run of the pipeline in that environment.
//   - TaskRetried (retry) and RunSucceeded (success) are events: only
//     recorded when a route asks for them with on:, they fire once and are
//     resolved without a resolve notification once every channel has them.
//
// # Labels and fingerprints
//
// Every alert carries alertname, pipeline, env, owner, severity and route
// (the pipeline's alerts.route), and task where one task is meant. Routing
// and silences also see its kind. The fingerprint is a hash of the
// identity labels only — alertname, pipeline, env, and task, run and
// attempt where present — never a run ID for level alerts: the failure of
// orders_daily in prod is one alert however many runs fail, and the
// pipeline's owner or severity changing does not make it a new one.
// Severity is critical in production (an environment marked production in
// gantry.yaml, or named prod or production) and warning elsewhere;
// degradation and scheduler lag are warnings, events info.
//
// # Routing
//
// An alert enters the tree at the named route of its route label. Its
// child routes are tried in order; a child is followed when its match
// labels equal the alert's, and takes the alert when it or a route below
// it does. The first child that takes the alert ends the search unless it
// says continue. When no child takes it, the route itself does — if the
// alert's kind is in its on list (empty: every kind but success and
// retry). So on filters what a route delivers, not what its children see:
// a child with on: [retry] hears each retried failure below a parent that
// does not. Channels, on and grouping left empty are inherited from the
// parent. An alert whose route is not declared is recorded but sent
// nowhere (the readiness gate's alert-route rule reports that).
//
// # Grouping and de-duplication
//
// A route batches the alerts it takes by the values of its group_by labels
// (default alertname, pipeline, env) into a group. A new group is first
// sent group_wait (30s) after it formed, so alerts arriving together go
// out as one notification; after that it is looked at every
// group_interval (5m). Each channel of a group remembers what it was last
// sent (persisted): a channel is notified only when an alert joined, or
// one it was told about resolved, or repeat_interval (4h) passed with
// alerts still firing. A failed delivery leaves that memory as it was, so
// the next look tries again; the notifier itself retries transient
// failures first. Every delivery is recorded with its outcome.
//
// # Silences
//
// A silence is a set of matchers (name=value, !=, =~ and !~, regexps
// anchored) with a start, an end, who created it and why. An alert every
// matcher of an active silence matches is not sent to anyone, firing or
// resolved; when the silence ends and the alert still fires, it is sent.
// ExpireSilence ends one early.
//
// # Secrets
//
// The manager resolves the secrets channels use and those pipelines give
// their tasks, and redacts every value from alert text before it is stored
// or sent; the notifiers redact again.
package manager
