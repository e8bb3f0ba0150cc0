// Package cli is the `gantry` command: one cobra command per verb, thin
// over the engine, spec and store. It decides exit codes — 0 success, 1 a
// failed run or invalid input, 2 a usage error, 130 a cancelled run — and
// makes sure a user never sees a Go stack trace.
package cli
