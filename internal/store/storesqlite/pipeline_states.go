package storesqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

// SetPaused records that pipeline is paused or resumed, by by at at (now
// when zero). A pipeline has one state: setting it again overwrites it.
func (s *Store) SetPaused(ctx context.Context, pipeline string, paused bool, by string, at time.Time) error {
	if at.IsZero() {
		at = now()
	}
	_, err := s.write.ExecContext(ctx, `INSERT INTO pipeline_states
		(pipeline, paused, updated_at, updated_by) VALUES (?, ?, ?, ?)
		ON CONFLICT (pipeline) DO UPDATE SET paused = excluded.paused,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		pipeline, paused, at.UnixMicro(), by)
	if err != nil {
		return fmt.Errorf("set pipeline %s paused: %w", pipeline, mapErr(err))
	}
	return nil
}

// ListPipelineStates returns every pipeline with a recorded state, by name.
func (s *Store) ListPipelineStates(ctx context.Context) ([]record.PipelineState, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT pipeline, paused, updated_at, updated_by
		FROM pipeline_states ORDER BY pipeline`)
	if err != nil {
		return nil, fmt.Errorf("list pipeline states: %w", mapErr(err))
	}
	ps, err := collect(rows, func(sc scanner) (record.PipelineState, error) {
		var p record.PipelineState
		var updated int64
		if err := sc.Scan(&p.Pipeline, &p.Paused, &updated, &p.UpdatedBy); err != nil {
			return record.PipelineState{}, err
		}
		p.UpdatedAt = time.UnixMicro(updated).UTC()
		return p, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list pipeline states: %w", mapErr(err))
	}
	return ps, nil
}
