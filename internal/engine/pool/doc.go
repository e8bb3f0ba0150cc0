// Package pool caps how many tasks of each pool run at once.
//
// # Model
//
// gantry.yaml declares pools with a number of slots; a pipeline joins one
// with concurrency.pool, and every task of its runs then needs a slot of
// that pool to start. A Limiter is shared by every run one process
// executes (all the runs of `gantry serve`, or the one run of `gantry
// run`), so the cap holds across pipelines and runs.
//
// # Fairness
//
// Each pool keeps one line, first come first served: a slot that frees
// goes to whoever has waited longest, so a waiting task is never passed by
// one that asked later. The engine puts at most one task of a run in a
// pool's line at a time, so runs take turns rather than one run with many
// ready tasks taking every slot in a row.
//
// # Scope
//
// The Limiter counts within one process. Across processes (many servers
// or workers on one PostgreSQL store) a store-backed limiter with the same
// Wait method is to replace it; the engine knows only that method.
package pool
