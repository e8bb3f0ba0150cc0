// Package approval is the executor of approval tasks (kind approval). An
// attempt runs nothing: it opens the question in the store (the task's
// required approvals and approvers), then waits until people decide it
// there, or its timeout passes, and ends as the decision says —
// succeeded when approved (output approved_by=…), failed when rejected,
// timed out when nobody decided in time.
//
// Decisions are made elsewhere (package deploy, over the API or the
// command line) and written to the store in one transaction with their
// audit event; Kick wakes the attempt at once, and a poll of the store
// finds decisions made by another process. The question lives in the
// store, keyed by the attempt: an attempt resumed after a restart finds
// it, with the approvals already given, and its deadline still counts
// from when the attempt first started.
package approval
