// Package notify holds what every alert channel shares: the retry policy
// with its per-attempt timeout and exponential back-off, the HTTP delivery
// that classifies failures as transient or permanent, and the text helpers
// that mark firing, resolved and test alerts the same way in every channel.
//
// # Retries
//
// Deliver runs one attempt at a time, each under Policy.Timeout. A failure
// is retried only when it is transient — a network error, a timeout, HTTP
// 408, 429 or 5xx, an SMTP 4xx reply — and attempts remain; a 4xx answer
// means the request itself is wrong, so sending it again would only repeat
// the rejection. Waits double from Policy.Initial up to Policy.Max, or follow
// a Retry-After header when the receiver gives a longer one (still capped at
// Max, so one slow receiver cannot hold a delivery for an hour). The waits
// go through Policy.Sleep so tests run them instantly and assert them.
//
// # Errors
//
// An error message can end up in a log, a UI or the store, so it never
// carries the request URL (a Slack webhook URL is itself a credential) and
// passes through the channel's Redactor.
package notify
