package store

// DeployStore persists the deploy lifecycle: revisions, deployments,
// approvals, API tokens and the append-only audit log.
type DeployStore interface {
}
