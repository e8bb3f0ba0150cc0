package record

import "time"

// RevisionFile is one file of a revision: the pipeline file, gantry.yaml,
// a script or runbook it uses, or a context file.
type RevisionFile struct {
	Path   string // relative to the project folder, with forward slashes
	Size   int64
	SHA256 string // hex
	// Context marks a file that is stored with the revision but is not
	// part of its content hash: an upstream pipeline file the readiness
	// gate loads to resolve `schedule.after`.
	Context bool
}

// Revision is a pipeline's spec as deployed: immutable, identified by the
// content hash of its files.
type Revision struct {
	Hash         string // sha256 hex over its non-context files
	Pipeline     string
	Files        []RevisionFile // sorted by path
	CreatedBy    string
	CreatedAt    time.Time
	Message      string
	CheckSummary string // the readiness gate's verdict, e.g. "0 errors, 2 warnings"
	// StagingRunID is the latest staging integration run of this content;
	// 0 when none was started. StagingState is its state, "" when none.
	StagingRunID int64
	StagingState RunState
}

// DeploymentState is where a deployment is in its life.
type DeploymentState string

// Deployment states. A deployment is created pending, or active at once
// (a rollback); a pending one becomes active when its gates are met, or
// rejected. An active one ends superseded (a newer one became active) or
// rolled_back.
const (
	DeploymentPending    DeploymentState = "pending"
	DeploymentActive     DeploymentState = "active"
	DeploymentSuperseded DeploymentState = "superseded"
	DeploymentRolledBack DeploymentState = "rolled_back"
	DeploymentRejected   DeploymentState = "rejected"
)

// Deployment points one environment at one revision of a pipeline.
type Deployment struct {
	ID        int64
	Pipeline  string
	Env       string
	Revision  string // content hash
	State     DeploymentState
	Risk      string   // change class, spec.RiskL1..L4; "" for a rollback
	Gates     []string // gates it must pass, spec.GateCheck...
	Approvals int      // approvals required; 0 when the approval gate does not apply
	Approvers []string // who may approve; empty means anyone allowed to
	CreatedBy string
	CreatedAt time.Time
	// ActivatedAt is when it became active; zero until then.
	ActivatedAt time.Time
	// EndedAt is when it stopped being pending or active; zero until then.
	EndedAt time.Time
	// Previous is the revision that was active in the environment when
	// this one became active; "" when none was.
	Previous string
	Message  string
	// Reason says why it was rejected or rolled back.
	Reason string
}

// Approval is one person's approval of a pending deployment.
type Approval struct {
	DeploymentID int64
	User         string
	Comment      string
	CreatedAt    time.Time
}

// Token is an API token. Only a hash of its secret is kept.
type Token struct {
	ID        int64
	User      string
	Role      string
	Hash      string // sha256 hex of the token's plaintext
	CreatedBy string
	CreatedAt time.Time
	RevokedAt time.Time // zero while valid
	RevokedBy string
}

// AuditAction names what an audit event records.
type AuditAction string

// Audit actions.
const (
	AuditDeploy          AuditAction = "deploy"           // a deployment was created
	AuditActivate        AuditAction = "activate"         // a deployment became active
	AuditApprove         AuditAction = "approve"          //
	AuditReject          AuditAction = "reject"           //
	AuditPromote         AuditAction = "promote"          // a deployment created by promotion
	AuditRollback        AuditAction = "rollback"         // manual
	AuditAutoRollback    AuditAction = "auto_rollback"    // after a failed first run
	AuditStaging         AuditAction = "staging"          // a staging run started or finished
	AuditReplay          AuditAction = "replay"           // a dead letter was replayed
	AuditTokenCreate     AuditAction = "token_create"     //
	AuditTokenRevoke     AuditAction = "token_revoke"     //
	AuditTaskApprove     AuditAction = "task_approve"     // an approval task of a run was approved
	AuditTaskReject      AuditAction = "task_reject"      // an approval task of a run was rejected
	AuditRelease         AuditAction = "release"          // a run shipped a release into an environment
	AuditReleaseRollback AuditAction = "release_rollback" // someone had an earlier release shipped again
)

// AuditEvent is one entry of the append-only audit log.
type AuditEvent struct {
	ID           int64
	Time         time.Time
	Actor        string // a user, or "gantry" for what Gantry did itself
	Action       AuditAction
	Pipeline     string
	Env          string
	Revision     string
	DeploymentID int64
	Reason       string
	Detail       string // more for a human: the change class, a token's user and role, a run number
}
