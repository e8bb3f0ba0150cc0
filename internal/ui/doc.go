// Package ui serves Gantry's dashboard: the home page of every pipeline
// (what needs attention first), a pipeline (run grid, duration, row-count
// and freshness charts, neighbours, deployments, alerts, buttons), a run
// (its DAG, a timeline of attempts, the attempts, logs with a live tail),
// deployments and their approvals, the audit log, alerts and silences, and
// a pipeline's runbook, with an anchor on every section so an alert's link
// can land on the failure mode that fired. Pages are rendered on the
// server with html/template from embedded assets, charts are SVG drawn in
// Go; `go build` needs no other step. The one script, assets/live.js,
// only reloads pages of work in flight and tails a running log.
//
// # Reads at scale
//
// The home page summarizes every pipeline with a few store statements
// (store.SummaryStore: an index seek per pipeline, then the runs of the
// last 7 days), never a query per pipeline; its sparklines are read for
// the page's rows only. BenchmarkDashboard renders / and a pipeline page and
// measures them against their budget (p95 150 ms, 300 KB) over 1,000
// pipelines and 100,000 runs.
//
// # Buttons
//
// Every button is a form POST carrying the session's CSRF token (an HMAC
// of a fixed label keyed by the session's API token, which a page on
// another site can neither read nor compute). A POST with a good token is
// served by the JSON API's own handler, in process, with the session's
// token as its bearer: roles and rules (an author cannot approve their
// own deployment) are checked by the API's code, not again here, and
// what the API refuses the page shows with the API's status and message.
// A page offers only the buttons the session's role may use; that is
// convenience, not the check.
//
// # Access
//
// The pages need the viewer role, as the API's reads do. A browser has no
// bearer header, so /login takes an API token once and keeps it in an
// HttpOnly, SameSite=Strict cookie; each page checks it with the same
// Authenticator as the API. A page asked for without a valid cookie
// redirects to /login and back — only to a path of this server (safeNext),
// never to a target a browser would read as another origin.
//
// The sign-in form is guarded by a double-submit token: GET /login sets a
// random gantry_csrf cookie (HttpOnly, SameSite=Strict, Path=/login) and
// puts the same value in a hidden field; POST /login wants both, equal.
// A page on another site can make a browser POST the form, but cannot
// read or set the cookie, so it cannot sign the browser in as a token of
// its choosing. Every page is sent with Cache-Control: no-store and a CSP
// with frame-ancestors 'none'.
//
// # Runbook anchors
//
// Every heading gets an id: its text in lower case, words joined by "-"
// ("## Failure: source unavailable" → failure-source-unavailable). Alerts
// link to fixed anchors per failure mode (task-failed, timeout,
// out-of-memory, lost-attempt, sla-missed, stale-data, row-count, slow-run,
// retries, dead-letters, scheduler-lag, rollback); a runbook without a
// heading of that id gets the anchor on the first heading whose words name
// that mode ("timed out", "memory", "SLA", "stale", "rows", "roll back",
// ...), so existing runbooks link well without renaming sections.
package ui
