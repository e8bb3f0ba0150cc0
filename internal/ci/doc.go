// Package ci writes the CI configuration that runs Gantry from a
// repository's CI: a GitLab pipeline (.gitlab-ci.yml) or a GitHub Actions
// workflow (.github/workflows/gantry.yml), for `gantry ci`.
//
// # Stages
//
// Both files have the same shape, built from the project as spec parsed
// it:
//
//   - lint: `gantry validate`, and `gantry check` writing its findings as
//     SARIF for GitHub code scanning or as GitLab's Code Quality report;
//   - test: the project's own tests when gantry.yaml has `test: {run:}`,
//     and a staging plan: `gantry check --env STAGING` (the gate the
//     staging deploy applies) and, when $GANTRY_SERVER is set,
//     `gantry diff P --env STAGING` for each pipeline (what the deploy
//     would change and its risk class). Gantry has no deploy dry run; this
//     is the nearest thing that changes nothing;
//   - build: when the repository has a Dockerfile, its image tagged with
//     the commit, pushed on the default branch;
//   - staging: `gantry deploy --all --env STAGING --wait` on the default
//     branch, which fails the job when a staging run fails;
//   - production: for each pipeline a manual job, in the CI system's
//     environment named after the production environment, that runs
//     `gantry promote`, and a manual rollback job. Approvals are not the
//     CI system's: promote creates a pending deployment that Gantry's
//     approvers (never its deployer) approve, and Gantry keeps the audit
//     log.
//
// # Secrets
//
// The files hold no secret value, only references: the server's URL is
// the CI variable GANTRY_SERVER and the API token the masked variable
// GANTRY_TOKEN, which the gantry command reads from its environment.
//
// # Determinism
//
// Rendering is a pure function of Options: pipelines are sorted by name
// and nothing depends on time or the machine, so the output can be
// compared with golden files and regenerated without noise.
package ci
