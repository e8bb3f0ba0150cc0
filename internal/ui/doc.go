// Package ui serves Gantry's pages for people: for now the two an alert
// links to — a run (its tasks, attempts, errors and figures) and a
// pipeline's runbook, with an anchor on every section so a link can land
// on the failure mode that fired. Pages are rendered on the server with
// html/template from embedded assets; `go build` needs no other step.
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
