package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

const (
	setPausedSQL = `INSERT INTO pipeline_states (pipeline, paused, updated_at, updated_by)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (pipeline) DO UPDATE SET paused = excluded.paused,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`
	listPipelineStatesSQL = `SELECT pipeline, paused, updated_at, updated_by
		FROM pipeline_states ORDER BY pipeline`
)

// SetPaused records that pipeline is paused or resumed, by by at at (now
// when zero). A pipeline has one state: setting it again overwrites it.
func (s *Store) SetPaused(ctx context.Context, pipeline string, paused bool, by string, at time.Time) error {
	if at.IsZero() {
		at = Now()
	}
	if _, err := s.db.Exec(ctx, setPausedSQL, pipeline, paused, s.t(at), by); err != nil {
		return fmt.Errorf("set pipeline %s paused: %w", pipeline, err)
	}
	return nil
}

// ListPipelineStates returns every pipeline with a recorded state, by name.
func (s *Store) ListPipelineStates(ctx context.Context) ([]record.PipelineState, error) {
	rows, err := s.db.Query(ctx, listPipelineStatesSQL)
	ps, err := Collect(rows, err, func(sc Scanner) (record.PipelineState, error) {
		var p record.PipelineState
		var updated Time
		if err := sc.Scan(&p.Pipeline, &p.Paused, &updated, &p.UpdatedBy); err != nil {
			return record.PipelineState{}, err
		}
		p.UpdatedAt = updated.T
		return p, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list pipeline states: %w", err)
	}
	return ps, nil
}
