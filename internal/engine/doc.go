// Package engine drives one run of a pipeline from its first task to its
// final state.
//
// # Model
//
// A run is a DAG of tasks. Each task moves through
//
//	pending → queued → running → succeeded
//	                     ↓
//	                 retrying → queued → running …   (while attempts remain)
//	                     ↓
//	          failed | timed_out | memory_exceeded   (retries exhausted → dead letter)
//
// and a task whose need did not succeed becomes upstream_failed without
// ever starting. Independent branches go on after a failure; the run fails
// once every task is final and any is not succeeded.
//
// # One loop, one commit per step
//
// A single goroutine owns a run's state. Each step it (1) starts as many
// queued tasks as parallelism allows, (2) commits every change made since
// the last step — attempts finished, tasks queued or failed, attempts about
// to start — in one store transaction, (3) only then starts the processes,
// and (4) waits for the next event: an attempt finishing, a back-off timer,
// cancellation. Nothing is acted on before it is persisted, and a chain of
// tasks costs one commit per task on its critical path.
//
// # Time
//
// Back-off waits go through a Clock so tests can run them instantly and
// assert the delays asked for.
package engine
