// Package server holds the processes' services: what keeps a project's
// pipelines running on their own, each started with Start and stopped with
// an idempotent Stop — the scheduler and the dispatcher (Server), the
// alert loop it wakes (SetAlerter; alert/manager), and the deploy
// lifecycle it reports finished runs to (SetDeployments). It is what the
// api and ui packages serve (Server implements api.Service and ui's
// Source). It knows nothing of concrete stores, notifiers or executor
// kinds: package app builds those and hands them in (app.Serve is
// `gantry serve`).
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
// # Leadership
//
// Every `gantry serve` serves the API and the UI, and registers itself as
// a worker (WorkerRegistration: a heartbeat every 5s, recorded gone when
// it stops). Only the one holding the store's leader lease runs the
// leader-only services, given to Leadership as a list with Start and
// Stop: the scheduler and the dispatcher (Server.Leader, with
// Config.Elected), the alert loop (SLA deadlines and paging included) and
// Maintenance (retention of shipped log chunks). The dispatcher is among
// them for now, so two servers never resume each other's runs; task
// claims will take it out of the list.
//
// The lease has a TTL (10s by default, --lease-ttl) and is renewed every
// TTL/3. A leader that cannot renew stops its services at 4/5 of the TTL
// after its last renewal, before anyone else can take the lease; one that
// finds the lease taken stops at once. A standby tries every second; on
// PostgreSQL it also asks whether the holder's process is still there
// (its session's advisory lock) and takes over at once from one killed
// outright, so failover takes about a second, not a TTL.
//
// The services run under a context carrying the lease's fence
// (store.WithFence): creating a scheduled run, saving an alert or a
// notification group (which the alert loop does before it sends
// anything) and pruning are committed only if the lease is still this
// process's, with its token, in the same transaction. A leader paused
// past its TTL (SIGSTOP, a long GC, a VM migration) that wakes up writes
// nothing, pages nothing, and steps down at its next renewal.
//
// On SQLite one server holds the store (a file lock) and always leads,
// through the same lease code.
//
// # Reload
//
// SIGHUP or POST /api/v1/reload re-reads the project. A file that no longer
// parses is reported and its previous version keeps running.
//
// # Environments and revisions
//
// Without Config.Env the server runs the project's working tree. With one
// (gantry serve --env prod) it runs, for each pipeline, the revision
// active in that environment, from that revision's files written once
// under RevisionDir, sealed read-only and verified against the revision
// before it is loaded and before each run starts there (a tampered folder
// fails the run unrun and raises RevisionTampered), and loads again
// whenever a deployment, approval,
// rollback or staging result changes what is active. A run carries its
// revision, so a run in flight finishes on it; staging runs, whatever
// the server's environment, run in a fresh folder removed afterwards.
// Every finished run goes to the deploy lifecycle (Deployments), which
// may roll a revision back; the rollback is raised as an alert.
//
// # Alerts
//
// The alert manager (SetAlerter) is woken by every run and attempt that
// ends; the server gives it the pipelines it runs and the environment of
// each (AlertTargets) and gantry.yaml (Project), and serves its API
// (AlertAPI), writing each silence and test-fire to the audit log.
//
// Without Config.Env, Project is the working tree's gantry.yaml as last
// (re)loaded. With one it is the gantry.yaml bundled in the revision that
// became active there last: production pages through the routes and
// channels that were deployed, and an edit of the working tree changes
// them only through a deployment. A reload says so when the two differ.
// Before anything is active in the environment the working tree's is
// used, so a route can be test-fired ahead of the first deploy.
//
// # Runbooks
//
// A pipeline's runbook is a file of the project (or a URL) named by its
// runbook: field. The server reads it from the pipeline's loaded files
// (Runbook, refusing a file that leads out of the project) for the UI's
// runbook page (internal/ui: rendered with an anchor per failure mode,
// which alerts link to); the readiness gate lints runbooks
// (internal/check: runbook-exists, runbook commands, runbook-coverage),
// and gantry init writes one (internal/scaffold). There is no runbook
// package of its own yet.
package server
