// Package alert holds the vocabulary every alerting stage shares: the Alert a
// condition raises, the Notifier a channel implements and the Result of one
// delivery.
//
// # Model
//
// Alerting follows Alertmanager's stage chain:
//
//	condition → route → group → dedupe → notify → retry → record
//
// This package and its subpackages implement the last three stages. A
// Notifier receives a group of alerts that routing already decided belong
// together and delivers them to one channel — a generic webhook, Slack,
// PagerDuty, e-mail or an Alertmanager — retrying transient failures itself.
// It returns one Result saying whether the delivery succeeded, how many
// attempts it took and, when it failed, whether trying again later could
// help, so the caller can record every delivery.
//
// # Secrets
//
// Alert text comes from task output, which may hold a secret the task
// printed. Callers redact it, and every notifier redacts again, with a
// Redactor built from the secret values its configuration names plus its own
// credentials, before anything leaves the process. Credentials in notifier
// configuration are Secrets, which print as <redacted>.
//
// # Test alerts
//
// An Alert with Test set comes from a test-fire. Every channel marks it
// visibly ([TEST] in the title or subject, a test field or label in
// machine-read payloads) so nobody mistakes it for an outage.
package alert
