// Package executortest is the test suite every executor kind runs: the
// behaviour the engine relies on whatever runs a task — outcomes and exit
// codes, timeouts, cancellation, the log and its redaction, outputs, and a
// Reap that touches nothing of another attempt. A kind's own tests call
// Run with a constructor; what is particular to the kind (cgroups, process
// groups, images) stays in the kind's tests.
package executortest
