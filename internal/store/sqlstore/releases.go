package sqlstore

import (
	"context"
	"fmt"

	"github.com/gantryhq/gantry/internal/record"
)

const releaseColumns = `id, pipeline, env, run_id, revision, kind, succeeded, params, outputs,
	approved_by, triggered_by, created_at, rollback_to`

// CreateRelease inserts a release and its audit event.
func (s *Store) CreateRelease(ctx context.Context, r *record.Release, ev *record.AuditEvent) error {
	rel := *r
	if rel.CreatedAt.IsZero() {
		rel.CreatedAt = Now()
	}
	rel.CreatedAt = deployTime(rel.CreatedAt)
	params, err := JSONArg(rel.Params, rel.Params == nil)
	if err != nil {
		return err
	}
	if rel.Params == nil {
		params = "{}"
	}
	outputs, err := JSONArg(nonNilOutputs(rel.Outputs), false)
	if err != nil {
		return err
	}
	approved, err := JSONArg(nonNil(rel.ApprovedBy), false)
	if err != nil {
		return err
	}
	err = s.db.WriteTx(ctx, func(tx *Tx) error {
		if rel.ID, err = tx.Insert(`INSERT INTO releases (pipeline, env, run_id, revision, kind, succeeded,
			params, outputs, approved_by, triggered_by, created_at, rollback_to)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, rel.Pipeline, rel.Env, rel.RunID, rel.Revision,
			string(rel.Kind), rel.Succeeded, params, outputs, approved, rel.TriggeredBy, s.t(rel.CreatedAt),
			IDArg(rel.RollbackTo)); err != nil {
			return err
		}
		return s.appendAudit(tx, ev)
	})
	if err != nil {
		return fmt.Errorf("record release of run %d: %w", r.RunID, err)
	}
	*r = rel
	return nil
}

func nonNilOutputs(o []record.TaskOutput) []record.TaskOutput {
	if o == nil {
		return []record.TaskOutput{}
	}
	return o
}

// ListReleases returns a pipeline's releases into env, newest first.
func (s *Store) ListReleases(ctx context.Context, pipeline, env string, limit int) ([]record.Release, error) {
	if limit == 0 {
		limit = 50
	}
	return queryAll(ctx, s, "list releases", scanRelease, `SELECT `+releaseColumns+` FROM releases
		WHERE pipeline = ? AND env = ? ORDER BY id DESC LIMIT ?`, pipeline, env, limit)
}

func scanRelease(sc Scanner) (record.Release, error) {
	var r record.Release
	var kind string
	var params JSON[map[string]string]
	var outputs JSON[[]record.TaskOutput]
	var approved JSON[[]string]
	var created Time
	var of ID
	if err := sc.Scan(&r.ID, &r.Pipeline, &r.Env, &r.RunID, &r.Revision, &kind, &r.Succeeded, &params, &outputs,
		&approved, &r.TriggeredBy, &created, &of); err != nil {
		return record.Release{}, err
	}
	r.Kind, r.Params, r.Outputs, r.ApprovedBy = record.ReleaseKind(kind), params.V, outputs.V, approved.V
	r.CreatedAt, r.RollbackTo = created.T, of.N
	return r, nil
}

// GetRelease returns one release.
func (s *Store) GetRelease(ctx context.Context, id int64) (record.Release, error) {
	r, err := scanRelease(s.db.Row(ctx, `SELECT `+releaseColumns+` FROM releases WHERE id = ?`, id))
	if err != nil {
		return r, fmt.Errorf("release %d: %w", id, err)
	}
	return r, nil
}
