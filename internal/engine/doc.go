// Package engine drives one run of a pipeline from its first task to its
// final state.
//
// # Model
//
// A run is a DAG of tasks. Each task moves through
//
//	pending → queued [→ waiting_pool] → running → succeeded
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
// to start — in one store transaction, (3) only then starts the attempts,
// each on the executor of its task's kind (Config.Executors), and (4)
// waits for the next event: an attempt finishing, a back-off timer,
// cancellation. Nothing is acted on before it is persisted, and a chain of
// tasks costs one commit per task on its critical path.
//
// # Cancel, suspend, resume
//
// Closing Request.Cancel cancels a run for good: attempts are killed and it
// is recorded cancelled. Cancelling the context instead suspends it: the
// attempts are killed but nothing more is recorded, exactly as if Gantry
// had been killed. Execute takes any run that is not final — queued, or
// left running — and rebuilds the loop's state from the store: attempts
// recorded running are recorded lost (the executor of the task's kind is
// handed the attempt's executor.Handle and kills what is left of it
// first) and retried within their budget, back-offs resume with what
// remains of them, and the run timeout counts from the run's first start.
//
// # Pools
//
// A pipeline in a pool (concurrency.pool) needs a slot of Config.Pools for
// each attempt, on top of its own parallelism. The queue's head asks for
// one — the run's only task in the pool's line, so runs take turns — and
// is recorded waiting_pool until the loop hears it is granted; only then is
// its attempt recorded running and started, so the attempt's timeout never
// counts the wait (the run's timeout, a budget for the whole run, does).
// The slot is given back when the attempt ends; cancelling the run leaves
// the line, and however the loop ends every slot it holds is released, so
// a suspended run leaks none and asks again when it resumes.
//
// # Time
//
// Back-off waits go through a Clock so tests can run them instantly and
// assert the delays asked for.
package engine
