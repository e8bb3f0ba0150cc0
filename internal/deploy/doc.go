// Package deploy is Gantry's deploy lifecycle: content-addressed
// revisions, deployments to environments, the readiness gate, staging
// integration runs, approvals, promotion, rollback (manual and
// automatic), API tokens and roles, and the audit log. It holds the rules;
// the store keeps the records (store.DeployStore) and guarantees what
// must hold under concurrency.
//
// # Revisions
//
// Collect reads a pipeline's Bundle from a project folder: its project
// files (ProjectFiles: what git tracks, or every file outside git, without
// .gantry/ and what .gantryignore excludes, narrowed by gantry.yaml's
// files:), other pipelines' files left out, and always the pipeline file,
// gantry.yaml, its runbook and every file a word of a task's run: command
// names. The Bundle's Hash is the sha256 over those files, sorted by path; the
// same content is one revision, however often it is deployed. Upstream
// pipeline files (schedule.after) travel as Context: the gate needs them
// to load the project, but they are not the revision's content. A
// revision's bytes are in the store, so any machine can run it:
// Materialize writes a Bundle into a folder and Bundle.Load parses it
// there. A folder that runs a revision for a while (the server's) is
// Sealed read-only and checked with Verify before each run: a folder that
// no longer holds the revision's files is ErrTampered.
//
// # Deployments and gates
//
// Service.Deploy runs the readiness gate (internal/check) over the
// materialized bundle for the environment and refuses, storing nothing,
// with a *GateError when it finds an error. Otherwise it stores the
// revision, compares it with what is active in the environment (Compare,
// Diff) and creates a pending deployment whose gates come from the
// change's risk class through gantry.yaml's deploy.gates:
//
//	L1  params or env values only
//	L2  task settings: retries, timeouts, resources, commands; any other file
//	L3  DAG shape, or a new pipeline
//	L4  several pipelines at once (DeployAll), or gantry.yaml
//
// A change to gantry.yaml's alerting (channels, routes, grouping,
// alerts.suppress) is also named routing (RiskRouting, Diff.Routes): it
// decides who is paged, since a server with --env routes alerts with the
// gantry.yaml of the revision active there. Deploying or promoting it
// into a production environment first test-fires each route it adds or
// changes through the configuration it brings (Options.TestFire, the
// test_fire gate) and is refused, storing nothing, unless every channel
// took the test alert; without a TestFire (the local CLI) it is refused.
//
// The check gate has passed by then. The staging gate (a succeeded
// staging run of the same content) applies outside staging environments;
// the approval gate in protected ones (approval.required > 0), for every
// class deploy.gates does not explicitly name without it. The rules
// in force are those of the revision active in the environment, so a
// change to them applies from the next deployment. A deployment becomes
// active as soon as its gates are met, superseding the active one; the
// store makes that atomic and keeps at most one active deployment per
// pipeline and environment.
//
// The readiness gate (spec.GateReadiness) is, like the approval gate, on
// in protected environments for every class deploy.gates does not name:
// the pending deployment waits until internal/readiness judges its
// revision READY there. Each time its gates are judged (created,
// approved, its staging run ended, promoted again) the report is made
// anew from live data and attached to it (Service.DeploymentReadiness);
// a deployment to a protected environment gets one even when its gates
// leave readiness out. Service.Readiness, ReadinessAll and Sizing serve
// gantry readiness and gantry sizing.
//
// Deploying to a staging environment starts a staging run through the
// Starter. The server queues it and calls RunFinished when it ends; the
// CLI runs it in the foreground and returns it final. Either way the
// result is recorded on the revision and pending deployments of that
// content that waited for it are activated (actor "gantry").
//
// # Approvals, promotion, rollback
//
// Approve counts one person's approval; a deployment's author cannot
// approve it, and when the environment names approvers only they can
// (ErrForbidden). A Service whose actors are names nobody authenticated
// (the local CLI: Options.Unauthenticated) refuses every approval and
// rejection of a deployment to a protected environment. Promote deploys
// the revision active in one environment to another and always requires
// a succeeded staging run of it. Rollback activates an earlier revision at
// once: by default the newest one that did not fail its first run in the
// environment; naming one that did needs RollbackWith's Force.
// RunFinished also rolls back by itself: when the first run of a newly
// deployed revision (not one a rollback re-activated) in a production
// environment fails and the pipeline says `rollback:
// {on_first_run_failure: previous_revision}`, the previous revision is
// active again, unless its own first run there failed too, and the
// returned *Rollback tells the server to alert.
//
// # Identity
//
// Tokens are random 256-bit secrets shown once; the store keeps their
// sha256. Authenticate maps one to an Identity with one of Roles; what
// each role may do is the API's table (internal/api: every route names
// the permission it needs). Every change above is in the audit log, with
// its actor, in the same transaction as the change.
//
// # Errors
//
// Errors wrap ErrNotFound (404), ErrConflict (409), ErrForbidden (403),
// ErrInvalid (400) or ErrUnauthorized (401), or are a *GateError.
package deploy
