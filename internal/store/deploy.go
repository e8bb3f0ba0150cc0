package store

import (
	"context"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

// DeployStore persists the deploy lifecycle: revisions, deployments,
// approvals, API tokens and the append-only audit log.
//
// Every method that changes a deployment or a token takes the audit event
// that records the change and commits both in one transaction. The audit
// log has no update or delete; the database refuses both.
type DeployStore interface {
	// CreateRevision stores rev and the bytes of its files (content, by
	// path; every path in rev.Files must be there). A revision whose Hash
	// is already stored is left as it is: created is false and no error.
	// A zero CreatedAt is now.
	CreateRevision(ctx context.Context, rev record.Revision, content map[string][]byte) (created bool, err error)
	// GetRevision returns the revision with that hash, or ErrNotFound.
	GetRevision(ctx context.Context, hash string) (record.Revision, error)
	// ListRevisions returns a pipeline's revisions newest first; limit 0
	// means 50, < 0 no limit.
	ListRevisions(ctx context.Context, pipeline string, limit int) ([]record.Revision, error)
	// RevisionContent returns the bytes of every file of a revision, by
	// path, or ErrNotFound.
	RevisionContent(ctx context.Context, hash string) (map[string][]byte, error)
	// SetStagingRun records the latest staging run of a revision and its
	// state, with ev (nil: none) in the same transaction; ErrNotFound when
	// there is no such revision.
	SetStagingRun(ctx context.Context, hash string, runID int64, state record.RunState, ev *record.AuditEvent) error

	// CreateDeployment inserts d, which must be pending, and ev in one
	// transaction; it sets d.ID and ev.DeploymentID. A zero CreatedAt is
	// now. ErrNotFound when d.Revision is not stored.
	CreateDeployment(ctx context.Context, d *record.Deployment, ev *record.AuditEvent) error
	// GetDeployment returns one deployment, or ErrNotFound.
	GetDeployment(ctx context.Context, id int64) (record.Deployment, error)
	// ListDeployments returns deployments newest first.
	ListDeployments(ctx context.Context, f DeploymentFilter) ([]record.Deployment, error)
	// ActiveDeployment returns the active deployment of pipeline in env,
	// or ErrNotFound.
	ActiveDeployment(ctx context.Context, pipeline, env string) (record.Deployment, error)
	// ActivateDeployment makes a deployment the active one of its
	// (pipeline, env); see Activation. It returns the deployment as now
	// stored. At most one deployment per (pipeline, env) is ever active:
	// the database enforces it.
	ActivateDeployment(ctx context.Context, a Activation) (record.Deployment, error)
	// EndDeployment moves a pending deployment to state to (rejected or
	// superseded) with reason, and appends ev, in one transaction.
	// ErrNotFound when there is none, ErrConflict when it is not pending.
	EndDeployment(ctx context.Context, id int64, to record.DeploymentState, reason string, at time.Time, ev *record.AuditEvent) error

	// SetDeploymentReadiness attaches a readiness report (JSON) to a
	// deployment, replacing the one attached before; ErrNotFound when
	// there is no such deployment.
	SetDeploymentReadiness(ctx context.Context, id int64, report []byte) error
	// DeploymentReadiness returns the readiness report attached to a
	// deployment, nil when none is; ErrNotFound when there is no such
	// deployment.
	DeploymentReadiness(ctx context.Context, id int64) ([]byte, error)

	// AddApproval records an approval of a pending deployment with ev, in
	// one transaction, and returns how many approvals it now has.
	// ErrNotFound when there is no such deployment; ErrConflict when it is
	// not pending or the user already approved it.
	AddApproval(ctx context.Context, a record.Approval, ev *record.AuditEvent) (count int, err error)
	// ListApprovals returns a deployment's approvals, oldest first.
	ListApprovals(ctx context.Context, deploymentID int64) ([]record.Approval, error)

	// CreateToken inserts t (ID set; a zero CreatedAt is now) and ev in one
	// transaction. ErrConflict when its hash is taken.
	CreateToken(ctx context.Context, t *record.Token, ev *record.AuditEvent) error
	// TokenByHash returns the token, revoked or not, with that hash, or
	// ErrNotFound.
	TokenByHash(ctx context.Context, hash string) (record.Token, error)
	// ListTokens returns every token, oldest first.
	ListTokens(ctx context.Context) ([]record.Token, error)
	// RevokeToken revokes a token by by at at (now when zero) with ev, in
	// one transaction. ErrNotFound when there is none, ErrConflict when it
	// is already revoked.
	RevokeToken(ctx context.Context, id int64, by string, at time.Time, ev *record.AuditEvent) error

	// AppendAudit appends ev (ID set; a zero Time is now).
	AppendAudit(ctx context.Context, ev *record.AuditEvent) error
	// ListAudit returns audit events oldest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]record.AuditEvent, error)
}

// Activation makes one deployment the active one of its (pipeline, env),
// in one transaction:
//   - the deployment to activate is the pending one with ID, or New, which
//     is inserted (ID set) when ID is 0;
//   - the deployment active until now, if any, becomes Replaced (superseded
//     when empty) with Reason, and its revision is the new one's Previous;
//   - pending deployments of the same (pipeline, env) created before it
//     become superseded: they would bring back older content;
//   - Audit, when set, is appended with its DeploymentID set.
//
// ErrConflict when the deployment is not pending (someone else activated
// or rejected it first) or when Expect is set and is not the active one.
type Activation struct {
	ID       int64
	New      *record.Deployment
	Replaced record.DeploymentState
	Reason   string
	// Expect, when not 0, is the deployment that must be active now.
	Expect int64
	At     time.Time // zero: now
	Audit  *record.AuditEvent
}

// DeploymentFilter narrows ListDeployments. Zero fields do not filter.
type DeploymentFilter struct {
	Pipeline string
	Env      string
	Revision string
	States   []record.DeploymentState
	Limit    int // 0 means 50; < 0 means no limit
}

// AuditFilter narrows ListAudit. Zero fields do not filter.
type AuditFilter struct {
	Pipeline string
	Since    time.Time // events at or after
	Limit    int       // the newest Limit events; 0 means 200, < 0 no limit
}
