package storepg

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

const (
	revisionColumns = `id, hash, pipeline, created_by, created_at, message, check_summary,
		staging_run_id, staging_state`
	deploymentColumns = `id, pipeline, env, revision, state, risk, gates, approvals, approvers,
		created_by, created_at, activated_at, ended_at, previous, message, reason`
	tokenColumns = `id, username, role, hash, created_by, created_at, revoked_at, revoked_by`
	auditColumns = `id, at, actor, action, pipeline, env, revision, deployment_id, reason, detail`
)

// writeTx runs fn in a transaction and commits it, or rolls it back when
// fn fails. Errors come back mapped.
func (s *Store) writeTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return mapErr(pgx.BeginFunc(ctx, s.pool, fn))
}

// CreateRevision stores rev and its files' bytes unless its hash is stored.
func (s *Store) CreateRevision(ctx context.Context, rev record.Revision, content map[string][]byte) (created bool, err error) {
	if rev.CreatedAt.IsZero() {
		rev.CreatedAt = now()
	}
	err = s.writeTx(ctx, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO revisions (hash, pipeline, created_by, created_at,
			message, check_summary, staging_run_id, staging_state)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (hash) DO NOTHING RETURNING id`,
			rev.Hash, rev.Pipeline, rev.CreatedBy, timeArg(rev.CreatedAt), rev.Message,
			rev.CheckSummary, idArg(rev.StagingRunID), string(rev.StagingState)).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // stored already
		}
		if err != nil {
			return err
		}
		created = true
		for _, f := range rev.Files {
			if err := insertRevisionFile(ctx, tx, id, f, content); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("create revision %s: %w", rev.Hash, err)
	}
	return created, nil
}

func insertRevisionFile(ctx context.Context, tx pgx.Tx, revID int64, f record.RevisionFile, content map[string][]byte) error {
	data, ok := content[f.Path]
	if !ok {
		return fmt.Errorf("no content for %s", f.Path)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(data)) != f.Size {
		return fmt.Errorf("content of %s does not match its size and sha256", f.Path)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO revision_blobs (sha256, content) VALUES ($1, $2)
		ON CONFLICT (sha256) DO NOTHING`, f.SHA256, data); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO revision_files (revision_id, path, size, sha256, context)
		VALUES ($1, $2, $3, $4, $5)`, revID, f.Path, f.Size, f.SHA256, f.Context)
	return err
}

// GetRevision returns the revision with that hash, or store.ErrNotFound.
func (s *Store) GetRevision(ctx context.Context, hash string) (record.Revision, error) {
	revs, err := s.queryRevisions(ctx, "SELECT "+revisionColumns+" FROM revisions WHERE hash = $1", hash)
	if err == nil && len(revs) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return record.Revision{}, fmt.Errorf("get revision %s: %w", hash, err)
	}
	return revs[0], nil
}

// ListRevisions returns a pipeline's revisions newest first.
func (s *Store) ListRevisions(ctx context.Context, pipeline string, n int) ([]record.Revision, error) {
	q := "SELECT " + revisionColumns + " FROM revisions WHERE pipeline = $1 ORDER BY id DESC"
	args := []any{pipeline}
	if n >= 0 {
		q += " LIMIT $2"
		args = append(args, limit(n))
	}
	revs, err := s.queryRevisions(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list revisions of %s: %w", pipeline, err)
	}
	return revs, nil
}

// queryRevisions runs q and loads the files of each revision it returns.
func (s *Store) queryRevisions(ctx context.Context, q string, args ...any) ([]record.Revision, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	type withID struct {
		id  int64
		rev record.Revision
	}
	got, err := collect(rows, func(row pgx.Row) (withID, error) {
		var w withID
		var created *time.Time
		var stagingRun *int64
		var staging string
		err := row.Scan(&w.id, &w.rev.Hash, &w.rev.Pipeline, &w.rev.CreatedBy, &created,
			&w.rev.Message, &w.rev.CheckSummary, &stagingRun, &staging)
		w.rev.CreatedAt, w.rev.StagingState = timeOf(created), record.RunState(staging)
		if stagingRun != nil {
			w.rev.StagingRunID = *stagingRun
		}
		return w, err
	})
	if err != nil {
		return nil, mapErr(err)
	}
	revs := make([]record.Revision, len(got))
	for i, w := range got {
		if w.rev.Files, err = s.revisionFiles(ctx, w.id); err != nil {
			return nil, err
		}
		revs[i] = w.rev
	}
	return revs, nil
}

func (s *Store) revisionFiles(ctx context.Context, revID int64) ([]record.RevisionFile, error) {
	rows, err := s.pool.Query(ctx, `SELECT path, size, sha256, context FROM revision_files
		WHERE revision_id = $1 ORDER BY path COLLATE "C"`, revID)
	if err != nil {
		return nil, mapErr(err)
	}
	fs, err := collect(rows, func(row pgx.Row) (record.RevisionFile, error) {
		var f record.RevisionFile
		err := row.Scan(&f.Path, &f.Size, &f.SHA256, &f.Context)
		return f, err
	})
	return fs, mapErr(err)
}

// RevisionContent returns the bytes of every file of a revision, by path.
func (s *Store) RevisionContent(ctx context.Context, hash string) (map[string][]byte, error) {
	rows, err := s.pool.Query(ctx, `SELECT f.path, b.content FROM revisions r
		JOIN revision_files f ON f.revision_id = r.id
		JOIN revision_blobs b ON b.sha256 = f.sha256 WHERE r.hash = $1`, hash)
	if err != nil {
		return nil, fmt.Errorf("revision %s content: %w", hash, mapErr(err))
	}
	type file struct {
		path string
		data []byte
	}
	fs, err := collect(rows, func(row pgx.Row) (file, error) {
		var f file
		err := row.Scan(&f.path, &f.data)
		return f, err
	})
	if err == nil && len(fs) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("revision %s content: %w", hash, mapErr(err))
	}
	out := make(map[string][]byte, len(fs))
	for _, f := range fs {
		out[f.path] = f.data
	}
	return out, nil
}

// SetStagingRun records the latest staging run of a revision.
func (s *Store) SetStagingRun(ctx context.Context, hash string, runID int64, state record.RunState, ev *record.AuditEvent) error {
	err := s.writeTx(ctx, func(tx pgx.Tx) error {
		if err := affectedOne(tx.Exec(ctx, `UPDATE revisions SET staging_run_id = $1, staging_state = $2
			WHERE hash = $3`, idArg(runID), string(state), hash)); err != nil {
			return err
		}
		return appendAudit(ctx, tx, ev)
	})
	if err != nil {
		return fmt.Errorf("set staging run of %s: %w", hash, err)
	}
	return nil
}

// CreateDeployment inserts a pending deployment and its audit event.
func (s *Store) CreateDeployment(ctx context.Context, d *record.Deployment, ev *record.AuditEvent) error {
	dep := *d
	if dep.State != record.DeploymentPending {
		return fmt.Errorf("create deployment: state %q: a new deployment is pending", dep.State)
	}
	if dep.CreatedAt.IsZero() {
		dep.CreatedAt = now()
	}
	dep.CreatedAt = deployTime(dep.CreatedAt)
	err := s.writeTx(ctx, func(tx pgx.Tx) error {
		if err := insertDeployment(ctx, tx, &dep); err != nil {
			return err
		}
		return appendAuditFor(ctx, tx, ev, dep.ID)
	})
	if err != nil {
		return fmt.Errorf("create deployment of %s in %s: %w", dep.Pipeline, dep.Env, err)
	}
	*d = dep
	return nil
}

func insertDeployment(ctx context.Context, tx pgx.Tx, d *record.Deployment) error {
	gates, err := jsonArg(d.Gates, len(d.Gates) == 0)
	if err != nil {
		return err
	}
	approvers, err := jsonArg(d.Approvers, len(d.Approvers) == 0)
	if err != nil {
		return err
	}
	return tx.QueryRow(ctx, `INSERT INTO deployments (pipeline, env, revision, state, risk, gates,
		approvals, approvers, created_by, created_at, activated_at, ended_at, previous, message,
		reason) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		RETURNING id`,
		d.Pipeline, d.Env, d.Revision, string(d.State), d.Risk, gates, d.Approvals, approvers,
		d.CreatedBy, timeArg(d.CreatedAt), timeArg(d.ActivatedAt), timeArg(d.EndedAt),
		d.Previous, d.Message, d.Reason).Scan(&d.ID)
}

// GetDeployment returns one deployment, or store.ErrNotFound.
func (s *Store) GetDeployment(ctx context.Context, id int64) (record.Deployment, error) {
	d, err := getDeployment(ctx, s.pool, "id = $1", id)
	if err != nil {
		return record.Deployment{}, fmt.Errorf("get deployment %d: %w", id, err)
	}
	return d, nil
}

// ActiveDeployment returns the active deployment of pipeline in env.
func (s *Store) ActiveDeployment(ctx context.Context, pipeline, env string) (record.Deployment, error) {
	d, err := getDeployment(ctx, s.pool, "pipeline = $1 AND env = $2 AND state = 'active'", pipeline, env)
	if err != nil {
		return record.Deployment{}, fmt.Errorf("active deployment of %s in %s: %w", pipeline, env, err)
	}
	return d, nil
}

// deployQuerier is a pool or a transaction.
type deployQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func getDeployment(ctx context.Context, q deployQuerier, where string, args ...any) (record.Deployment, error) {
	d, err := scanDeployment(q.QueryRow(ctx, "SELECT "+deploymentColumns+" FROM deployments WHERE "+where, args...))
	return d, mapErr(err)
}

// ListDeployments returns the deployments f selects, newest first.
func (s *Store) ListDeployments(ctx context.Context, f store.DeploymentFilter) ([]record.Deployment, error) {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"pipeline", f.Pipeline}, {"env", f.Env}, {"revision", f.Revision}} {
		if c.v != "" {
			args = append(args, c.v)
			where = append(where, fmt.Sprintf("%s = $%d", c.col, len(args)))
		}
	}
	if len(f.States) > 0 {
		states := make([]string, len(f.States))
		for i, st := range f.States {
			states[i] = string(st)
		}
		args = append(args, states)
		where = append(where, fmt.Sprintf("state = ANY($%d)", len(args)))
	}
	q := "SELECT " + deploymentColumns + " FROM deployments"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit >= 0 {
		args = append(args, limit(f.Limit))
		q += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list deployments: %w", mapErr(err))
	}
	ds, err := collect(rows, scanDeployment)
	if err != nil {
		return nil, fmt.Errorf("list deployments: %w", mapErr(err))
	}
	return ds, nil
}

// ActivateDeployment makes a deployment the active one of its (pipeline,
// env); see store.Activation. A transaction-scoped advisory lock on the
// (pipeline, env) serialises activations of it across processes; the
// unique index deployments_one_active is the last word.
func (s *Store) ActivateDeployment(ctx context.Context, a store.Activation) (record.Deployment, error) {
	at := a.At
	if at.IsZero() {
		at = now()
	}
	replaced := a.Replaced
	if replaced == "" {
		replaced = record.DeploymentSuperseded
	}
	var dep record.Deployment
	err := s.writeTx(ctx, func(tx pgx.Tx) error {
		var err error
		if dep, err = activationTarget(ctx, tx, a, at); err != nil {
			return err
		}
		cur, err := getDeployment(ctx, tx, "pipeline = $1 AND env = $2 AND state = 'active' FOR UPDATE", dep.Pipeline, dep.Env)
		switch {
		case errors.Is(err, store.ErrNotFound):
			cur = record.Deployment{}
		case err != nil:
			return err
		}
		if a.Expect != 0 && cur.ID != a.Expect {
			return fmt.Errorf("%w: deployment %d is no longer the active one", store.ErrConflict, a.Expect)
		}
		if cur.ID != 0 {
			if _, err := tx.Exec(ctx, `UPDATE deployments SET state = $1, ended_at = $2, reason = $3
				WHERE id = $4`, string(replaced), timeArg(at), a.Reason, cur.ID); err != nil {
				return err
			}
		}
		dep.State, dep.ActivatedAt, dep.Previous = record.DeploymentActive, deployTime(at), cur.Revision
		if _, err := tx.Exec(ctx, `UPDATE deployments SET state = 'active', activated_at = $1,
			previous = $2 WHERE id = $3`, timeArg(at), dep.Previous, dep.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE deployments SET state = 'superseded', ended_at = $1
			WHERE pipeline = $2 AND env = $3 AND state = 'pending' AND id < $4`,
			timeArg(at), dep.Pipeline, dep.Env, dep.ID); err != nil {
			return err
		}
		return appendAuditFor(ctx, tx, a.Audit, dep.ID)
	})
	if err != nil {
		return record.Deployment{}, fmt.Errorf("activate deployment: %w", err)
	}
	return dep, nil
}

// activationTarget locks the (pipeline, env) and returns the pending
// deployment a activates, inserting a.New when a.ID is 0.
func activationTarget(ctx context.Context, tx pgx.Tx, a store.Activation, at time.Time) (record.Deployment, error) {
	if a.ID == 0 {
		if a.New == nil {
			return record.Deployment{}, errors.New("neither a deployment ID nor a new deployment")
		}
		d := *a.New
		d.State = record.DeploymentPending
		if d.CreatedAt.IsZero() {
			d.CreatedAt = at
		}
		d.CreatedAt = deployTime(d.CreatedAt)
		if err := lockPipelineEnv(ctx, tx, d.Pipeline, d.Env); err != nil {
			return d, err
		}
		err := insertDeployment(ctx, tx, &d)
		a.New.ID = d.ID
		return d, err
	}
	d, err := getDeployment(ctx, tx, "id = $1", a.ID)
	if err != nil {
		return d, fmt.Errorf("deployment %d: %w", a.ID, err)
	}
	if err := lockPipelineEnv(ctx, tx, d.Pipeline, d.Env); err != nil {
		return d, err
	}
	// Read again under the lock: another activation may have just won.
	if d, err = getDeployment(ctx, tx, "id = $1 FOR UPDATE", a.ID); err != nil {
		return d, fmt.Errorf("deployment %d: %w", a.ID, err)
	}
	if d.State != record.DeploymentPending {
		return d, fmt.Errorf("%w: deployment %d is %s, not pending", store.ErrConflict, d.ID, d.State)
	}
	return d, nil
}

func lockPipelineEnv(ctx context.Context, tx pgx.Tx, pipeline, env string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 7))`, "deploy/"+pipeline+"/"+env)
	return err
}

// EndDeployment moves a pending deployment to state to.
func (s *Store) EndDeployment(ctx context.Context, id int64, to record.DeploymentState, reason string, at time.Time, ev *record.AuditEvent) error {
	if at.IsZero() {
		at = now()
	}
	err := s.writeTx(ctx, func(tx pgx.Tx) error {
		err := affectedOne(tx.Exec(ctx, `UPDATE deployments SET state = $1, reason = $2, ended_at = $3
			WHERE id = $4 AND state = 'pending'`, string(to), reason, timeArg(at), id))
		if errors.Is(err, store.ErrNotFound) {
			return notPending(ctx, tx, id)
		} else if err != nil {
			return err
		}
		return appendAuditFor(ctx, tx, ev, id)
	})
	if err != nil {
		return fmt.Errorf("end deployment %d: %w", id, err)
	}
	return nil
}

// notPending tells a missing deployment from one that is not pending.
func notPending(ctx context.Context, tx pgx.Tx, id int64) error {
	var state string
	if err := tx.QueryRow(ctx, `SELECT state FROM deployments WHERE id = $1`, id).Scan(&state); err != nil {
		return mapErr(err)
	}
	return fmt.Errorf("%w: deployment %d is %s, not pending", store.ErrConflict, id, state)
}

// AddApproval records an approval of a pending deployment. The row lock
// on the deployment orders concurrent approvals of it.
func (s *Store) AddApproval(ctx context.Context, a record.Approval, ev *record.AuditEvent) (count int, err error) {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = now()
	}
	err = s.writeTx(ctx, func(tx pgx.Tx) error {
		var state string
		if err := tx.QueryRow(ctx, `SELECT state FROM deployments WHERE id = $1 FOR UPDATE`,
			a.DeploymentID).Scan(&state); err != nil {
			return err
		}
		if state != string(record.DeploymentPending) {
			return fmt.Errorf("%w: deployment %d is %s, not pending", store.ErrConflict, a.DeploymentID, state)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO approvals (deployment_id, approver, comment, created_at)
			VALUES ($1, $2, $3, $4)`, a.DeploymentID, a.User, a.Comment, timeArg(a.CreatedAt)); err != nil {
			return err
		}
		if err := appendAuditFor(ctx, tx, ev, a.DeploymentID); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM approvals WHERE deployment_id = $1`, a.DeploymentID).Scan(&count)
	})
	if err != nil {
		return 0, fmt.Errorf("approve deployment %d: %w", a.DeploymentID, err)
	}
	return count, nil
}

// ListApprovals returns a deployment's approvals, oldest first.
func (s *Store) ListApprovals(ctx context.Context, deploymentID int64) ([]record.Approval, error) {
	rows, err := s.pool.Query(ctx, `SELECT deployment_id, approver, comment, created_at
		FROM approvals WHERE deployment_id = $1 ORDER BY created_at, approver COLLATE "C"`, deploymentID)
	if err != nil {
		return nil, fmt.Errorf("list approvals: %w", mapErr(err))
	}
	as, err := collect(rows, func(row pgx.Row) (record.Approval, error) {
		var a record.Approval
		var created *time.Time
		err := row.Scan(&a.DeploymentID, &a.User, &a.Comment, &created)
		a.CreatedAt = timeOf(created)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("list approvals: %w", mapErr(err))
	}
	return as, nil
}

// CreateToken inserts a token and its audit event.
func (s *Store) CreateToken(ctx context.Context, t *record.Token, ev *record.AuditEvent) error {
	tok := *t
	if tok.CreatedAt.IsZero() {
		tok.CreatedAt = now()
	}
	tok.CreatedAt = deployTime(tok.CreatedAt)
	err := s.writeTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO api_tokens (username, role, hash, created_by,
			created_at, revoked_at, revoked_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			tok.User, tok.Role, tok.Hash, tok.CreatedBy, timeArg(tok.CreatedAt),
			timeArg(tok.RevokedAt), tok.RevokedBy).Scan(&tok.ID); err != nil {
			return err
		}
		return appendAudit(ctx, tx, ev)
	})
	if err != nil {
		return fmt.Errorf("create token for %s: %w", tok.User, err)
	}
	*t = tok
	return nil
}

// TokenByHash returns the token with that hash, or store.ErrNotFound.
func (s *Store) TokenByHash(ctx context.Context, hash string) (record.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, "SELECT "+tokenColumns+" FROM api_tokens WHERE hash = $1", hash))
	if err != nil {
		return record.Token{}, fmt.Errorf("find token: %w", mapErr(err))
	}
	return t, nil
}

// ListTokens returns every token, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]record.Token, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+tokenColumns+" FROM api_tokens ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", mapErr(err))
	}
	ts, err := collect(rows, scanToken)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", mapErr(err))
	}
	return ts, nil
}

// RevokeToken revokes a token.
func (s *Store) RevokeToken(ctx context.Context, id int64, by string, at time.Time, ev *record.AuditEvent) error {
	if at.IsZero() {
		at = now()
	}
	err := s.writeTx(ctx, func(tx pgx.Tx) error {
		var revoked *time.Time
		if err := tx.QueryRow(ctx, `SELECT revoked_at FROM api_tokens WHERE id = $1 FOR UPDATE`, id).Scan(&revoked); err != nil {
			return err
		}
		if revoked != nil {
			return fmt.Errorf("%w: already revoked", store.ErrConflict)
		}
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3`,
			timeArg(at), by, id); err != nil {
			return err
		}
		return appendAudit(ctx, tx, ev)
	})
	if err != nil {
		return fmt.Errorf("revoke token %d: %w", id, err)
	}
	return nil
}

// AppendAudit appends one audit event.
func (s *Store) AppendAudit(ctx context.Context, ev *record.AuditEvent) error {
	if err := s.writeTx(ctx, func(tx pgx.Tx) error { return appendAudit(ctx, tx, ev) }); err != nil {
		return fmt.Errorf("append audit event: %w", err)
	}
	return nil
}

// appendAuditFor appends ev, when set, as an event of deployment id.
func appendAuditFor(ctx context.Context, tx pgx.Tx, ev *record.AuditEvent, id int64) error {
	if ev != nil && ev.DeploymentID == 0 {
		ev.DeploymentID = id
	}
	return appendAudit(ctx, tx, ev)
}

func appendAudit(ctx context.Context, tx pgx.Tx, ev *record.AuditEvent) error {
	if ev == nil {
		return nil
	}
	e := *ev
	if e.Time.IsZero() {
		e.Time = now()
	}
	e.Time = deployTime(e.Time)
	if err := tx.QueryRow(ctx, `INSERT INTO audit_events (at, actor, action, pipeline, env,
		revision, deployment_id, reason, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING id`, timeArg(e.Time), e.Actor, string(e.Action), e.Pipeline, e.Env, e.Revision,
		idArg(e.DeploymentID), e.Reason, e.Detail).Scan(&e.ID); err != nil {
		return err
	}
	*ev = e
	return nil
}

// ListAudit returns the newest audit events f selects, oldest first.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]record.AuditEvent, error) {
	var where []string
	var args []any
	if f.Pipeline != "" {
		args = append(args, f.Pipeline)
		where = append(where, fmt.Sprintf("pipeline = $%d", len(args)))
	}
	if !f.Since.IsZero() {
		args = append(args, timeArg(f.Since))
		where = append(where, fmt.Sprintf("at >= $%d", len(args)))
	}
	q := "SELECT " + auditColumns + " FROM audit_events"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit >= 0 {
		n := f.Limit
		if n == 0 {
			n = 200
		}
		args = append(args, n)
		q += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := s.pool.Query(ctx, "SELECT * FROM ("+q+") newest ORDER BY id", args...)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", mapErr(err))
	}
	evs, err := collect(rows, scanAudit)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", mapErr(err))
	}
	return evs, nil
}

func scanDeployment(row pgx.Row) (record.Deployment, error) {
	var d record.Deployment
	var state string
	var gates, approvers []byte
	var approvals int32
	var created, activated, ended *time.Time
	if err := row.Scan(&d.ID, &d.Pipeline, &d.Env, &d.Revision, &state, &d.Risk, &gates,
		&approvals, &approvers, &d.CreatedBy, &created, &activated, &ended, &d.Previous,
		&d.Message, &d.Reason); err != nil {
		return record.Deployment{}, err
	}
	d.State, d.Approvals = record.DeploymentState(state), int(approvals)
	d.CreatedAt, d.ActivatedAt, d.EndedAt = timeOf(created), timeOf(activated), timeOf(ended)
	for _, l := range []struct {
		b   []byte
		dst *[]string
	}{{gates, &d.Gates}, {approvers, &d.Approvers}} {
		if l.b != nil {
			if err := json.Unmarshal(l.b, l.dst); err != nil {
				return record.Deployment{}, fmt.Errorf("deployment %d: decode list: %w", d.ID, err)
			}
		}
	}
	return d, nil
}

func scanToken(row pgx.Row) (record.Token, error) {
	var t record.Token
	var created, revoked *time.Time
	err := row.Scan(&t.ID, &t.User, &t.Role, &t.Hash, &t.CreatedBy, &created, &revoked, &t.RevokedBy)
	t.CreatedAt, t.RevokedAt = timeOf(created), timeOf(revoked)
	return t, err
}

func scanAudit(row pgx.Row) (record.AuditEvent, error) {
	var e record.AuditEvent
	var at *time.Time
	var dep *int64
	var action string
	err := row.Scan(&e.ID, &at, &e.Actor, &action, &e.Pipeline, &e.Env, &e.Revision, &dep, &e.Reason, &e.Detail)
	e.Time, e.Action = timeOf(at), record.AuditAction(action)
	if dep != nil {
		e.DeploymentID = *dep
	}
	return e, err
}

// deployTime is t as the store keeps it: UTC, whole microseconds.
func deployTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}
