// Package alertmanager delivers alerts to a Prometheus Alertmanager, which
// then routes, groups, silences and notifies by its own configuration.
//
// One POST /api/v2/alerts per group, with the array of postable alerts
// Alertmanager's OpenAPI describes:
//
//	[{"labels": {...}, "annotations": {"summary", "description", "runbook_url"},
//	  "startsAt", "endsAt", "generatorURL"}]
//
// Labels are the alert's own; a name Alertmanager would reject is turned
// into a valid one ("task-name" becomes "task_name"), empty values are
// dropped, alertname defaults to "GantryAlert", and a test-fire carries
// test="true". Alertmanager identifies an alert by its labels, so the
// firing and the resolved alert must carry the same ones; Gantry's own
// fingerprint rides along as the gantry_fingerprint annotation. A resolved
// alert's endsAt is its EndsAt if already past, else now; a firing alert
// sends none and relies on being re-sent before Alertmanager's
// resolve_timeout.
package alertmanager
