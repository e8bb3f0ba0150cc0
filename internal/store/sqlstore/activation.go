package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// ActivateDeployment makes a deployment the active one of its (pipeline,
// env); see store.Activation. The transaction takes the dialect's lock on
// the (pipeline, env), which serialises activations of it across processes
// where writers are not serialised anyway, and reads the rows it replaces
// under the dialect's row lock; the unique index deployments_one_active is
// the last word.
func (s *Store) ActivateDeployment(ctx context.Context, a store.Activation) (record.Deployment, error) {
	at := a.At
	if at.IsZero() {
		at = Now()
	}
	replaced := a.Replaced
	if replaced == "" {
		replaced = record.DeploymentSuperseded
	}
	var dep record.Deployment
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		var err error
		if dep, err = s.activationTarget(tx, a, at); err != nil {
			return err
		}
		cur, err := getDeployment(ctx, tx.Querier(), activeWhere+s.db.d.ForUpdate(), dep.Pipeline, dep.Env)
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
			if _, err := tx.Exec(`UPDATE deployments SET state = ?, ended_at = ?, reason = ?
				WHERE id = ?`, string(replaced), s.t(at), a.Reason, cur.ID); err != nil {
				return err
			}
		}
		dep.State, dep.ActivatedAt, dep.Previous = record.DeploymentActive, deployTime(at), cur.Revision
		if _, err := tx.Exec(`UPDATE deployments SET state = 'active', activated_at = ?,
			previous = ? WHERE id = ?`, s.t(at), dep.Previous, dep.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE deployments SET state = 'superseded', ended_at = ?
			WHERE pipeline = ? AND env = ? AND state = 'pending' AND id < ?`,
			s.t(at), dep.Pipeline, dep.Env, dep.ID); err != nil {
			return err
		}
		return s.appendAuditFor(tx, a.Audit, dep.ID)
	})
	if err != nil {
		return record.Deployment{}, fmt.Errorf("activate deployment: %w", err)
	}
	return dep, nil
}

// activationTarget locks the (pipeline, env) and returns the pending
// deployment a activates, inserting a.New when a.ID is 0.
func (s *Store) activationTarget(tx *Tx, a store.Activation, at time.Time) (record.Deployment, error) {
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
		if err := tx.Lock(deployLockKey(d.Pipeline, d.Env)); err != nil {
			return d, err
		}
		err := s.insertDeployment(tx, &d)
		a.New.ID = d.ID
		return d, err
	}
	q := tx.Querier()
	d, err := getDeployment(tx.ctx, q, "id = ?", a.ID)
	if err != nil {
		return d, fmt.Errorf("deployment %d: %w", a.ID, err)
	}
	if err := tx.Lock(deployLockKey(d.Pipeline, d.Env)); err != nil {
		return d, err
	}
	// Read again under the lock: another activation may have just won.
	if d, err = getDeployment(tx.ctx, q, "id = ?"+s.db.d.ForUpdate(), a.ID); err != nil {
		return d, fmt.Errorf("deployment %d: %w", a.ID, err)
	}
	if d.State != record.DeploymentPending {
		return d, fmt.Errorf("%w: deployment %d is %s, not pending", store.ErrConflict, d.ID, d.State)
	}
	return d, nil
}

// deployLockKey is the lock key of a (pipeline, env)'s activations.
func deployLockKey(pipeline, env string) string { return "deploy/" + pipeline + "/" + env }
