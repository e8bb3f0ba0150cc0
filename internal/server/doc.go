// Package server is `gantry serve`: it keeps a project's pipelines running
// on their own.
//
// # Parts
//
// A scheduler loop turns cron ticks into queued runs, one per logical
// interval, and sleeps until the next tick. A dispatcher starts queued runs
// when their pipeline has room (max_active_runs for live runs; each
// backfill has its own budget so it never starves them) and every upstream
// has succeeded for the same interval — otherwise the run waits, in state
// waiting_upstream, and is looked at again the moment any run ends. Each
// started run is executed by the engine on its own goroutine.
//
// # Durability
//
// Runs are created in the store before anything acts on them, and the
// store's unique index on scheduled intervals makes a tick idempotent. On
// start the server resumes every run recorded running: the engine finds
// attempts whose process died with the previous server (or outlived it,
// which it then kills), records them lost, and retries them within their
// budget. Stopping the server suspends its runs the same way.
//
// # Reload
//
// SIGHUP or POST /api/v1/reload re-reads the project. A file that no longer
// parses is reported and its previous version keeps running.
package server
