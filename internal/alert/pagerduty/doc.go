// Package pagerduty delivers alerts to PagerDuty's Events API v2.
//
// Each alert is one event, POST /v2/enqueue: a firing alert triggers with
// dedup_key set to its fingerprint, so repeats of the same condition fold
// into one incident, and a resolved alert resolves that incident with the
// same key. Severity comes from the alert's severity label, mapped onto
// PagerDuty's critical, error, warning and info (error when unknown).
// Summaries are cut to PagerDuty's 1024 characters. A group's events are
// sent in order, each with its own retries; the Result adds up their
// attempts and is OK only when every event was accepted.
package pagerduty
