package sqlstore

import (
	"context"
	"fmt"
)

// SetDeploymentReadiness attaches a readiness report to a deployment.
func (s *Store) SetDeploymentReadiness(ctx context.Context, id int64, report []byte) error {
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		return tx.ExecOne(`UPDATE deployments SET readiness = ? WHERE id = ?`, string(report), id)
	})
	if err != nil {
		return fmt.Errorf("attach readiness to deployment %d: %w", id, err)
	}
	return nil
}

// DeploymentReadiness returns the readiness report attached to a
// deployment, nil when none is; store.ErrNotFound when there is no such
// deployment.
func (s *Store) DeploymentReadiness(ctx context.Context, id int64) ([]byte, error) {
	var report string
	err := s.db.Row(ctx, `SELECT readiness FROM deployments WHERE id = ?`, id).Scan(&report)
	if err != nil {
		return nil, fmt.Errorf("readiness of deployment %d: %w", id, err)
	}
	if report == "" {
		return nil, nil
	}
	return []byte(report), nil
}
