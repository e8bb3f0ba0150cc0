package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

const (
	deploymentColumns = `id, pipeline, env, revision, state, risk, gates, approvals, approvers,
		created_by, created_at, activated_at, ended_at, previous, message, reason`

	insertDeploymentSQL = `INSERT INTO deployments (pipeline, env, revision, state, risk, gates,
		approvals, approvers, created_by, created_at, activated_at, ended_at, previous, message,
		reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	deploymentStateSQL = `SELECT state FROM deployments WHERE id = ?`
	activeWhere        = `pipeline = ? AND env = ? AND state = 'active'`
)

// bytewise is the dialect's COLLATE clause that compares bytes.
func (s *Store) bytewise() string { return s.db.d.Bytewise() }

// CreateDeployment inserts a pending deployment and its audit event.
func (s *Store) CreateDeployment(ctx context.Context, d *record.Deployment, ev *record.AuditEvent) error {
	dep := *d
	if dep.State != record.DeploymentPending {
		return fmt.Errorf("create deployment: state %q: a new deployment is pending", dep.State)
	}
	if dep.CreatedAt.IsZero() {
		dep.CreatedAt = Now()
	}
	dep.CreatedAt = deployTime(dep.CreatedAt)
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		if err := s.insertDeployment(tx, &dep); err != nil {
			return err
		}
		return s.appendAuditFor(tx, ev, dep.ID)
	})
	if err != nil {
		return fmt.Errorf("create deployment of %s in %s: %w", dep.Pipeline, dep.Env, err)
	}
	*d = dep
	return nil
}

func (s *Store) insertDeployment(tx *Tx, d *record.Deployment) error {
	gates, err := JSONArg(d.Gates, len(d.Gates) == 0)
	if err != nil {
		return err
	}
	approvers, err := JSONArg(d.Approvers, len(d.Approvers) == 0)
	if err != nil {
		return err
	}
	d.ID, err = tx.Insert(insertDeploymentSQL, d.Pipeline, d.Env, d.Revision, string(d.State),
		d.Risk, gates, d.Approvals, approvers, d.CreatedBy, s.t(d.CreatedAt),
		s.t(d.ActivatedAt), s.t(d.EndedAt), d.Previous, d.Message, d.Reason)
	return err
}

// GetDeployment returns one deployment, or store.ErrNotFound.
func (s *Store) GetDeployment(ctx context.Context, id int64) (record.Deployment, error) {
	d, err := getDeployment(ctx, s.db, "id = ?", id)
	if err != nil {
		return record.Deployment{}, fmt.Errorf("get deployment %d: %w", id, err)
	}
	return d, nil
}

// ActiveDeployment returns the active deployment of pipeline in env.
func (s *Store) ActiveDeployment(ctx context.Context, pipeline, env string) (record.Deployment, error) {
	d, err := getDeployment(ctx, s.db, activeWhere, pipeline, env)
	if err != nil {
		return record.Deployment{}, fmt.Errorf("active deployment of %s in %s: %w", pipeline, env, err)
	}
	return d, nil
}

func getDeployment(ctx context.Context, q Querier, where string, args ...any) (record.Deployment, error) {
	return scanDeployment(q.Row(ctx, "SELECT "+deploymentColumns+" FROM deployments WHERE "+where, args...))
}

// ListDeployments returns the deployments f selects, newest first.
func (s *Store) ListDeployments(ctx context.Context, f store.DeploymentFilter) ([]record.Deployment, error) {
	var w Where
	for _, c := range []struct{ col, v string }{{"pipeline", f.Pipeline}, {"env", f.Env}, {"revision", f.Revision}} {
		if c.v != "" {
			w.Add(c.col+" = ?", c.v)
		}
	}
	In(&w, "state", f.States)
	q, args := w.Query("SELECT "+deploymentColumns+" FROM deployments", "id DESC", f.Limit)
	return queryAll(ctx, s, "list deployments", scanDeployment, q, args...)
}

// EndDeployment moves a pending deployment to state to.
func (s *Store) EndDeployment(ctx context.Context, id int64, to record.DeploymentState, reason string, at time.Time, ev *record.AuditEvent) error {
	if at.IsZero() {
		at = Now()
	}
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		err := tx.ExecOne(`UPDATE deployments SET state = ?, reason = ?, ended_at = ?
			WHERE id = ? AND state = 'pending'`, string(to), reason, s.t(at), id)
		if errors.Is(err, store.ErrNotFound) {
			return notPending(tx, id)
		} else if err != nil {
			return err
		}
		return s.appendAuditFor(tx, ev, id)
	})
	if err != nil {
		return fmt.Errorf("end deployment %d: %w", id, err)
	}
	return nil
}

// notPending tells a missing deployment from one that is not pending.
func notPending(tx *Tx, id int64) error {
	var state string
	if err := tx.Row(deploymentStateSQL, id).Scan(&state); err != nil {
		return err
	}
	return fmt.Errorf("%w: deployment %d is %s, not pending", store.ErrConflict, id, state)
}

// AddApproval records an approval of a pending deployment. Where the
// dialect locks rows, the lock on the deployment orders concurrent
// approvals of it.
func (s *Store) AddApproval(ctx context.Context, a record.Approval, ev *record.AuditEvent) (count int, err error) {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = Now()
	}
	err = s.db.WriteTx(ctx, func(tx *Tx) error {
		var state string
		if err := tx.Row(deploymentStateSQL+s.db.d.ForUpdate(), a.DeploymentID).Scan(&state); err != nil {
			return err
		}
		if state != string(record.DeploymentPending) {
			return fmt.Errorf("%w: deployment %d is %s, not pending", store.ErrConflict, a.DeploymentID, state)
		}
		if _, err := tx.Exec(`INSERT INTO approvals (deployment_id, approver, comment, created_at)
			VALUES (?, ?, ?, ?)`, a.DeploymentID, a.User, a.Comment, s.t(a.CreatedAt)); err != nil {
			return err
		}
		if err := s.appendAuditFor(tx, ev, a.DeploymentID); err != nil {
			return err
		}
		return tx.Row(`SELECT count(*) FROM approvals WHERE deployment_id = ?`, a.DeploymentID).Scan(&count)
	})
	if err != nil {
		return 0, fmt.Errorf("approve deployment %d: %w", a.DeploymentID, err)
	}
	return count, nil
}

// ListApprovals returns a deployment's approvals, oldest first.
func (s *Store) ListApprovals(ctx context.Context, deploymentID int64) ([]record.Approval, error) {
	return queryAll(ctx, s, "list approvals", scanApproval, `SELECT deployment_id, approver, comment, created_at
		FROM approvals WHERE deployment_id = ? ORDER BY created_at, approver`+s.bytewise(), deploymentID)
}

func scanApproval(sc Scanner) (record.Approval, error) {
	var a record.Approval
	var created Time
	err := sc.Scan(&a.DeploymentID, &a.User, &a.Comment, &created)
	a.CreatedAt = created.T
	return a, err
}

func scanDeployment(sc Scanner) (record.Deployment, error) {
	var d record.Deployment
	var state string
	var gates, approvers JSON[[]string]
	var created, activated, ended Time
	if err := sc.Scan(&d.ID, &d.Pipeline, &d.Env, &d.Revision, &state, &d.Risk, &gates,
		&d.Approvals, &approvers, &d.CreatedBy, &created, &activated, &ended, &d.Previous,
		&d.Message, &d.Reason); err != nil {
		return record.Deployment{}, err
	}
	d.State, d.Gates, d.Approvers = record.DeploymentState(state), gates.V, approvers.V
	d.CreatedAt, d.ActivatedAt, d.EndedAt = created.T, activated.T, ended.T
	return d, nil
}
