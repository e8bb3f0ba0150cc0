// Package record holds Gantry's plain persisted record types: runs, the
// per-run state of each task, task attempts and dead letters.
//
// It imports nothing of Gantry's and does no I/O, so that every layer — the
// store drivers, the engine, the CLI — can share one vocabulary, the way
// River's rivertype does.
package record
