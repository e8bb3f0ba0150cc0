package api

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/readiness"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// DeployService is what the deploy routes serve; internal/deploy's
// Service implements it (the server wraps it to reload what is active).
type DeployService interface {
	DeployAll(ctx context.Context, actor string, bundles []*deploy.Bundle, env, message string) ([]*deploy.Result, error)
	Promote(ctx context.Context, actor, pipeline, from, to, message string) (*deploy.Result, error)
	Approve(ctx context.Context, actor string, id int64, comment string) (*deploy.Result, error)
	Reject(ctx context.Context, actor string, id int64, reason string) (record.Deployment, error)
	// TaskQuestions lists a run's approval tasks; DecideTask approves or
	// rejects one (see deploy.Service.DecideTask).
	TaskQuestions(ctx context.Context, runID int64) ([]deploy.TaskQuestion, error)
	DecideTask(ctx context.Context, actor string, runID int64, task string, approve bool, comment string) (deploy.TaskQuestion, error)
	// Releases lists what a pipeline's runs shipped into env, newest first.
	Releases(ctx context.Context, pipeline, env string, limit int) ([]record.Release, error)
	RollbackWith(ctx context.Context, actor string, o deploy.RollbackOptions) (record.Deployment, error)
	Revisions(ctx context.Context, pipeline string, limit int) ([]record.Revision, error)
	Deployments(ctx context.Context, f store.DeploymentFilter) ([]record.Deployment, error)
	Deployment(ctx context.Context, id int64) (record.Deployment, []record.Approval, []string, error)
	Diff(ctx context.Context, pipeline, env, to string) (*deploy.Diff, error)
	DiffBundle(ctx context.Context, b *deploy.Bundle, env string) (*deploy.Diff, error)
	Audit(ctx context.Context, f store.AuditFilter) ([]record.AuditEvent, error)
	CreateToken(ctx context.Context, actor, user, role string) (string, record.Token, error)
	ListTokens(ctx context.Context) ([]record.Token, error)
	RevokeToken(ctx context.Context, actor string, id int64) error
	// Readiness assesses a pipeline in an environment; ReadinessAll every
	// deployed pipeline; Sizing its tasks' resources (see
	// internal/readiness).
	Readiness(ctx context.Context, pipeline, env string) (*readiness.Report, error)
	ReadinessAll(ctx context.Context, env string) ([]*readiness.Report, error)
	Sizing(ctx context.Context, pipeline, env string, last int) (*readiness.Sizing, error)
	// DeploymentReadiness is the readiness report attached to a
	// deployment; nil when none is.
	DeploymentReadiness(ctx context.Context, id int64) (*readiness.Report, error)
}

// MaxBundleBytes is the largest deploy or diff request accepted, from a
// role that may deploy: the files of every pipeline deployed at once.
const MaxBundleBytes = 32 << 20

// CodeGateFailed is the error code of a deploy the readiness gate refused
// (422); the message holds the gate's findings.
const CodeGateFailed = "gate_failed"

// BundleBody is one pipeline's files as a deploy request carries them:
// path to content, base64. The server computes the hash itself.
type BundleBody struct {
	Pipeline string            `json:"pipeline"`
	File     string            `json:"file"`
	Files    map[string]string `json:"files"`
	Context  map[string]string `json:"context,omitempty"`
}

// NewBundleBody is b as a request carries it.
func NewBundleBody(b *deploy.Bundle) BundleBody {
	return BundleBody{Pipeline: b.Pipeline, File: b.File, Files: encodeFiles(b.Files), Context: encodeFiles(b.Context)}
}

func encodeFiles(files map[string][]byte) map[string]string {
	if len(files) == 0 {
		return nil
	}
	out := make(map[string]string, len(files))
	for k, v := range files {
		out[k] = base64.StdEncoding.EncodeToString(v)
	}
	return out
}

func decodeFiles(field string, files map[string]string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(files))
	for k, v := range files {
		if err := deploy.CheckPath(k); err != nil {
			return nil, &FieldError{Field: field, Msg: err.Error()}
		}
		data, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, &FieldError{Field: field + "." + k, Msg: "is not base64"}
		}
		out[k] = data
	}
	return out, nil
}

// bundle checks a body, the request's field named field ("bundles" or
// "bundle"), and makes it a deploy.Bundle with its hash.
func (b BundleBody) bundle(field string) (*deploy.Bundle, error) {
	files, err := decodeFiles(field+".files", b.Files)
	if err != nil {
		return nil, err
	}
	ctxFiles, err := decodeFiles(field+".context", b.Context)
	if err != nil {
		return nil, err
	}
	out := &deploy.Bundle{Pipeline: b.Pipeline, File: b.File, Files: files, Context: ctxFiles}
	out.Hash = deploy.Hash(out.Files)
	if err := out.Validate(); err != nil {
		return nil, &FieldError{Field: field, Msg: err.Error()}
	}
	return out, nil
}

// DeployRequest deploys pipelines' files to an environment.
type DeployRequest struct {
	Env     string       `json:"env"`
	Message string       `json:"message,omitempty"`
	Bundles []BundleBody `json:"bundles"`
}

// PromoteRequest promotes what is active in one environment to another.
type PromoteRequest struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Message string `json:"message,omitempty"`
}

// RollbackRequest makes an earlier revision active at once.
type RollbackRequest struct {
	Env    string `json:"env"`
	To     string `json:"to,omitempty"` // a revision hash or prefix; "" means the newest earlier one that did not fail its first run there
	Reason string `json:"reason"`
	// Force re-activates To even though it failed its first run there.
	Force bool `json:"force,omitempty"`
}

// ApproveRequest approves a pending deployment.
type ApproveRequest struct {
	Comment string `json:"comment,omitempty"`
}

// RejectRequest rejects a pending deployment.
type RejectRequest struct {
	Reason string `json:"reason"`
}

// DiffRequest asks what would change in env: against revision To, or the
// files in Bundle.
type DiffRequest struct {
	Env    string      `json:"env"`
	To     string      `json:"to,omitempty"`
	Bundle *BundleBody `json:"bundle,omitempty"`
}

// TokenRequest creates an API token.
type TokenRequest struct {
	User string `json:"user"`
	Role string `json:"role"`
}

// ApprovalView is one approval.
type ApprovalView struct {
	User      string    `json:"user"`
	Comment   string    `json:"comment,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

// DeploymentView is a deployment as the API shows it.
type DeploymentView struct {
	ID                int64                  `json:"id"`
	Pipeline          string                 `json:"pipeline"`
	Env               string                 `json:"env"`
	Revision          string                 `json:"revision"`
	State             record.DeploymentState `json:"state"`
	Risk              string                 `json:"risk,omitempty"`
	Gates             []string               `json:"gates,omitempty"`
	ApprovalsRequired int                    `json:"approvals_required,omitempty"`
	Approvers         []string               `json:"approvers,omitempty"`
	CreatedBy         string                 `json:"created_by"`
	CreatedAt         time.Time              `json:"created_at,omitzero"`
	ActivatedAt       time.Time              `json:"activated_at,omitzero"`
	EndedAt           time.Time              `json:"ended_at,omitzero"`
	Previous          string                 `json:"previous,omitempty"`
	Message           string                 `json:"message,omitempty"`
	Reason            string                 `json:"reason,omitempty"`
	Approvals         []ApprovalView         `json:"approvals,omitempty"`
	Waiting           []string               `json:"waiting,omitempty"`
	// Readiness is the readiness report attached to it (a deployment to
	// a protected environment), as its approvers review it; only GET
	// /api/v1/deployments/{id} shows it.
	Readiness *readiness.Report `json:"readiness,omitempty"`
}

// DeploymentList is the body of GET /api/v1/deployments.
type DeploymentList struct {
	Deployments []DeploymentView `json:"deployments"`
}

// RevisionFileView is one file of a revision.
type RevisionFileView struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"`
	Context bool   `json:"context,omitempty"`
}

// RevisionView is a revision as the API shows it.
type RevisionView struct {
	Hash         string             `json:"hash"`
	Pipeline     string             `json:"pipeline"`
	Files        []RevisionFileView `json:"files"`
	CreatedBy    string             `json:"created_by"`
	CreatedAt    time.Time          `json:"created_at,omitzero"`
	Message      string             `json:"message,omitempty"`
	CheckSummary string             `json:"check_summary,omitempty"`
	StagingRunID int64              `json:"staging_run_id,omitempty"`
	StagingState record.RunState    `json:"staging_state,omitempty"`
}

// RevisionList is the body of GET /api/v1/pipelines/{name}/revisions.
type RevisionList struct {
	Revisions []RevisionView `json:"revisions"`
}

// ChangeView is one difference and its risk class.
type ChangeView struct {
	Class string `json:"class"`
	Text  string `json:"text"`
}

// DiffView is what changes between two revisions, classified.
type DiffView struct {
	Pipeline string       `json:"pipeline"`
	From     string       `json:"from,omitempty"`
	To       string       `json:"to"`
	Risk     string       `json:"risk,omitempty"`
	Changes  []ChangeView `json:"changes"`
	Text     string       `json:"text"` // as gantry diff prints it
	// Files are the changed files' unified diffs, widest class first.
	Files []FileDiffView `json:"files,omitempty"`
}

// FileDiffView is one changed file's unified diff under its risk class.
type FileDiffView struct {
	Path    string `json:"path"`
	Class   string `json:"class"`
	Unified string `json:"unified"`
}

// DeployResultView is what a deploy, promote or approve did.
type DeployResultView struct {
	Deployment  DeploymentView `json:"deployment"`
	Revision    RevisionView   `json:"revision"`
	NewRevision bool           `json:"new_revision"`
	Unchanged   bool           `json:"unchanged"`
	Diff        *DiffView      `json:"diff,omitempty"`
	StagingRun  *RunView       `json:"staging_run,omitempty"`
	Waiting     []string       `json:"waiting,omitempty"`
}

// DeployResults is the body of POST /api/v1/deployments.
type DeployResults struct {
	Results []DeployResultView `json:"results"`
}

// AuditEventView is one entry of the audit log.
type AuditEventView struct {
	ID           int64              `json:"id"`
	Time         time.Time          `json:"time"`
	Actor        string             `json:"actor"`
	Action       record.AuditAction `json:"action"`
	Pipeline     string             `json:"pipeline,omitempty"`
	Env          string             `json:"env,omitempty"`
	Revision     string             `json:"revision,omitempty"`
	DeploymentID int64              `json:"deployment_id,omitempty"`
	Reason       string             `json:"reason,omitempty"`
	Detail       string             `json:"detail,omitempty"`
}

// AuditList is the body of GET /api/v1/audit.
type AuditList struct {
	Events []AuditEventView `json:"events"`
}

// TokenView is an API token, without its secret.
type TokenView struct {
	ID        int64     `json:"id"`
	User      string    `json:"user"`
	Role      string    `json:"role"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	RevokedBy string    `json:"revoked_by,omitempty"`
}

// TokenCreated is a new token: its secret is shown this once.
type TokenCreated struct {
	Token string    `json:"token"`
	Info  TokenView `json:"info"`
}

// TokenList is the body of GET /api/v1/tokens.
type TokenList struct {
	Tokens []TokenView `json:"tokens"`
}

// NewDeploymentView is d as the API shows it.
func NewDeploymentView(d record.Deployment, approvals []record.Approval, waiting []string) DeploymentView {
	v := DeploymentView{
		ID: d.ID, Pipeline: d.Pipeline, Env: d.Env, Revision: d.Revision, State: d.State, Risk: d.Risk,
		Gates: d.Gates, ApprovalsRequired: d.Approvals, Approvers: d.Approvers, CreatedBy: d.CreatedBy,
		CreatedAt: utc(d.CreatedAt), ActivatedAt: utc(d.ActivatedAt), EndedAt: utc(d.EndedAt),
		Previous: d.Previous, Message: d.Message, Reason: d.Reason, Waiting: waiting,
	}
	for _, a := range approvals {
		v.Approvals = append(v.Approvals, ApprovalView{User: a.User, Comment: a.Comment, CreatedAt: utc(a.CreatedAt)})
	}
	return v
}

// NewRevisionView is r as the API shows it.
func NewRevisionView(r record.Revision) RevisionView {
	v := RevisionView{
		Hash: r.Hash, Pipeline: r.Pipeline, Files: []RevisionFileView{}, CreatedBy: r.CreatedBy,
		CreatedAt: utc(r.CreatedAt), Message: r.Message, CheckSummary: r.CheckSummary,
		StagingRunID: r.StagingRunID, StagingState: r.StagingState,
	}
	for _, f := range r.Files {
		v.Files = append(v.Files, RevisionFileView{Path: f.Path, Size: f.Size, SHA256: f.SHA256, Context: f.Context})
	}
	return v
}

// NewDiffView is d as the API shows it.
func NewDiffView(d *deploy.Diff) *DiffView {
	if d == nil {
		return nil
	}
	v := &DiffView{Pipeline: d.Pipeline, From: d.From, To: d.To, Risk: d.Risk, Changes: []ChangeView{}, Text: d.String()}
	for _, c := range d.Changes {
		v.Changes = append(v.Changes, ChangeView{Class: c.Class, Text: c.Text})
	}
	for _, f := range d.Files {
		v.Files = append(v.Files, FileDiffView{Path: f.Path, Class: f.Class, Unified: f.Unified})
	}
	return v
}

func newDeployResultView(r *deploy.Result) DeployResultView {
	v := DeployResultView{
		Deployment: NewDeploymentView(r.Deployment, nil, r.Waiting), Revision: NewRevisionView(r.Revision),
		NewRevision: r.NewRevision, Unchanged: r.Unchanged, Diff: NewDiffView(r.Diff), Waiting: r.Waiting,
	}
	if r.Staging != nil {
		rv := newRunView(*r.Staging, nil)
		v.StagingRun = &rv
	}
	return v
}

// NewAuditEventView is ev as the API shows it.
func NewAuditEventView(ev record.AuditEvent) AuditEventView {
	return AuditEventView{
		ID: ev.ID, Time: utc(ev.Time), Actor: ev.Actor, Action: ev.Action, Pipeline: ev.Pipeline, Env: ev.Env,
		Revision: ev.Revision, DeploymentID: ev.DeploymentID, Reason: ev.Reason, Detail: ev.Detail,
	}
}

// NewTokenView is t as the API shows it: never its hash.
func NewTokenView(t record.Token) TokenView {
	return TokenView{ID: t.ID, User: t.User, Role: t.Role, CreatedBy: t.CreatedBy, CreatedAt: utc(t.CreatedAt),
		RevokedAt: utc(t.RevokedAt), RevokedBy: t.RevokedBy}
}

// deployService answers 503 when the handler has no DeployService.
func (h *handler) deployService(w http.ResponseWriter) DeployService {
	if h.deploy == nil {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "deployments are not enabled on this server", "")
	}
	return h.deploy
}

// failDeploy maps the deploy lifecycle's errors: a gate refusal is 422
// with the findings, a refusal for this person 403, bad input 400; the
// rest as fail does.
func (h *handler) failDeploy(w http.ResponseWriter, r *http.Request, err error) {
	var ge *deploy.GateError
	switch {
	case errors.As(err, &ge):
		writeError(w, http.StatusUnprocessableEntity, CodeGateFailed, gateMessage(ge), "")
	case errors.Is(err, deploy.ErrForbidden):
		writeError(w, http.StatusForbidden, CodeForbidden, err.Error(), "")
	case errors.Is(err, deploy.ErrInvalid):
		writeError(w, http.StatusBadRequest, CodeInvalid, err.Error(), "")
	default:
		h.fail(w, r, err)
	}
}

// gateMessage is the gate's verdict and every error-level finding, one per
// line, as gantry check prints them.
func gateMessage(ge *deploy.GateError) string {
	var b strings.Builder
	b.WriteString(ge.Error())
	for _, g := range ge.Refused {
		if g.Report == nil {
			continue
		}
		for _, f := range g.Report.Findings {
			if f.Severity != "error" {
				continue
			}
			b.WriteString("\n  " + f.File)
			if f.Line > 0 {
				b.WriteString(":" + strconv.Itoa(f.Line))
			}
			b.WriteString(": " + f.Rule + ": " + f.Message)
		}
	}
	return b.String()
}

func (h *handler) deployBody(w http.ResponseWriter, r *http.Request, dst any, required bool) bool {
	if err := decodeBody(w, r, dst, required); err != nil {
		h.fail(w, r, err)
		return false
	}
	return true
}

func (h *handler) createDeployments(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	var body DeployRequest
	if err := decodeBody(w, r, &body, true); err != nil {
		h.fail(w, r, err)
		return
	}
	if body.Env == "" {
		h.fail(w, r, &FieldError{Field: "env", Msg: "is required"})
		return
	}
	if len(body.Bundles) == 0 {
		h.fail(w, r, &FieldError{Field: "bundles", Msg: "at least one pipeline's files are required"})
		return
	}
	bundles := make([]*deploy.Bundle, 0, len(body.Bundles))
	for _, bb := range body.Bundles {
		b, err := bb.bundle("bundles")
		if err != nil {
			h.fail(w, r, err)
			return
		}
		bundles = append(bundles, b)
	}
	rs, err := svc.DeployAll(r.Context(), actor(r), bundles, body.Env, body.Message)
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	out := DeployResults{Results: make([]DeployResultView, 0, len(rs))}
	for _, res := range rs {
		out.Results = append(out.Results, newDeployResultView(res))
	}
	writeJSON(w, http.StatusCreated, out)
}

func (h *handler) listDeployments(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	v := r.URL.Query()
	limit, err := queryLimit(v)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := store.DeploymentFilter{Pipeline: v.Get("pipeline"), Env: v.Get("env"), Limit: limit}
	if st := v.Get("state"); st != "" {
		for _, s := range strings.Split(st, ",") {
			switch ds := record.DeploymentState(s); ds {
			case record.DeploymentPending, record.DeploymentActive, record.DeploymentSuperseded,
				record.DeploymentRolledBack, record.DeploymentRejected:
				f.States = append(f.States, ds)
			default:
				h.fail(w, r, &FieldError{Field: "state", Msg: "unknown deployment state " + quote(s)})
				return
			}
		}
	}
	ds, err := svc.Deployments(r.Context(), f)
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	out := DeploymentList{Deployments: make([]DeploymentView, 0, len(ds))}
	for _, d := range ds {
		out.Deployments = append(out.Deployments, NewDeploymentView(d, nil, nil))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) getDeployment(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, approvals, waiting, err := svc.Deployment(r.Context(), id)
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	v := NewDeploymentView(d, approvals, waiting)
	if v.Readiness, err = svc.DeploymentReadiness(r.Context(), id); err != nil {
		h.failDeploy(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (h *handler) approveDeployment(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var body ApproveRequest
	if !h.deployBody(w, r, &body, false) {
		return
	}
	res, err := svc.Approve(r.Context(), actor(r), id, body.Comment)
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newDeployResultView(res))
}

func (h *handler) rejectDeployment(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var body RejectRequest
	if !h.deployBody(w, r, &body, true) {
		return
	}
	if strings.TrimSpace(body.Reason) == "" {
		h.fail(w, r, &FieldError{Field: "reason", Msg: "is required"})
		return
	}
	d, err := svc.Reject(r.Context(), actor(r), id, body.Reason)
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, NewDeploymentView(d, nil, nil))
}

func (h *handler) promote(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	var body PromoteRequest
	if !h.deployBody(w, r, &body, true) {
		return
	}
	if body.From == "" || body.To == "" {
		h.fail(w, r, &FieldError{Field: "to", Msg: "from and to are required"})
		return
	}
	res, err := svc.Promote(r.Context(), actor(r), r.PathValue("name"), body.From, body.To, body.Message)
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, newDeployResultView(res))
}

func (h *handler) rollback(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	var body RollbackRequest
	if !h.deployBody(w, r, &body, true) {
		return
	}
	if body.Env == "" {
		h.fail(w, r, &FieldError{Field: "env", Msg: "is required"})
		return
	}
	if strings.TrimSpace(body.Reason) == "" {
		h.fail(w, r, &FieldError{Field: "reason", Msg: "is required: say why, for the audit log"})
		return
	}
	if body.Force && body.To == "" {
		h.fail(w, r, &FieldError{Field: "force", Msg: "needs `to`: name the revision to force back"})
		return
	}
	d, err := svc.RollbackWith(r.Context(), actor(r), deploy.RollbackOptions{
		Pipeline: r.PathValue("name"), Env: body.Env, To: body.To, Reason: body.Reason, Force: body.Force})
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, NewDeploymentView(d, nil, nil))
}

func (h *handler) listRevisions(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	limit, err := queryLimit(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	revs, err := svc.Revisions(r.Context(), r.PathValue("name"), limit)
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	out := RevisionList{Revisions: make([]RevisionView, 0, len(revs))}
	for _, rev := range revs {
		out.Revisions = append(out.Revisions, NewRevisionView(rev))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) diff(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	var body DiffRequest
	if err := decodeBody(w, r, &body, true); err != nil {
		h.fail(w, r, err)
		return
	}
	if body.Env == "" {
		h.fail(w, r, &FieldError{Field: "env", Msg: "is required"})
		return
	}
	var d *deploy.Diff
	var err error
	if body.Bundle != nil {
		if body.To != "" {
			h.fail(w, r, &FieldError{Field: "to", Msg: "give a revision or a bundle, not both"})
			return
		}
		b, berr := body.Bundle.bundle("bundle")
		if berr != nil {
			h.fail(w, r, berr)
			return
		}
		if b.Pipeline != r.PathValue("name") {
			h.fail(w, r, &FieldError{Field: "bundle", Msg: "holds pipeline " + quote(b.Pipeline) + ", not " + quote(r.PathValue("name"))})
			return
		}
		d, err = svc.DiffBundle(r.Context(), b, body.Env)
	} else {
		d, err = svc.Diff(r.Context(), r.PathValue("name"), body.Env, body.To)
	}
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, NewDiffView(d))
}

func (h *handler) listAudit(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	v := r.URL.Query()
	f := store.AuditFilter{Pipeline: v.Get("pipeline")}
	if s := v.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			h.fail(w, r, &FieldError{Field: "since", Msg: "must be an RFC 3339 time"})
			return
		}
		f.Since = t
	}
	if v.Has("limit") {
		n, err := queryLimit(v)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		f.Limit = n
	}
	evs, err := svc.Audit(r.Context(), f)
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	out := AuditList{Events: make([]AuditEventView, 0, len(evs))}
	for _, ev := range evs {
		out.Events = append(out.Events, NewAuditEventView(ev))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) createToken(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	var body TokenRequest
	if !h.deployBody(w, r, &body, true) {
		return
	}
	if body.User == "" {
		h.fail(w, r, &FieldError{Field: "user", Msg: "is required"})
		return
	}
	if !deploy.ValidRole(body.Role) {
		h.fail(w, r, &FieldError{Field: "role", Msg: "must be one of " + strings.Join(deploy.Roles, ", ")})
		return
	}
	plain, t, err := svc.CreateToken(r.Context(), actor(r), body.User, body.Role)
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, TokenCreated{Token: plain, Info: NewTokenView(t)})
}

func (h *handler) listTokens(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	ts, err := svc.ListTokens(r.Context())
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	out := TokenList{Tokens: make([]TokenView, 0, len(ts))}
	for _, t := range ts {
		out.Tokens = append(out.Tokens, NewTokenView(t))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *handler) revokeToken(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := svc.RevokeToken(r.Context(), actor(r), id); err != nil {
		h.failDeploy(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// TokenAuth authenticates bearer tokens against the deploy lifecycle's
// API tokens.
type TokenAuth struct {
	Tokens interface {
		Authenticate(ctx context.Context, plaintext string) (deploy.Identity, error)
	}
}

// Authenticate implements Authenticator.
func (a TokenAuth) Authenticate(ctx context.Context, token string) (Principal, error) {
	id, err := a.Tokens.Authenticate(ctx, token)
	if errors.Is(err, deploy.ErrUnauthorized) {
		return Principal{}, ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{User: id.User, Role: id.Role}, nil
}
