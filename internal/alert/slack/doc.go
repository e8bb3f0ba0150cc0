// Package slack delivers alerts to a Slack incoming webhook.
//
// # Message
//
// One message per group: a plain "text" for notifications and clients
// that cannot show blocks, and "blocks" that read, for each alert,
//
//	header   [FIRING] orders_daily (prod): load failed        ([TEST] … for a test-fire)
//	section  Pipeline · Env · Owner · Severity fields
//	section  the last error lines, in a code block
//	actions  "Open run" and "Runbook" buttons
//
// within Slack's documented limits (50 blocks, 150-character headers,
// 3000-character sections, 10 fields), cutting from the front of the error
// output because its last lines say what broke. Alerts beyond what fits
// are counted in a closing context block.
//
// The webhook URL is itself a credential: it is a Secret, redacted from
// alert text and never quoted in an error.
package slack
