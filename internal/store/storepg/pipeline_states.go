package storepg

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gantryhq/gantry/internal/record"
)

// SetPaused records that pipeline is paused or resumed, by by at at (now
// when zero). A pipeline has one state: setting it again overwrites it.
func (s *Store) SetPaused(ctx context.Context, pipeline string, paused bool, by string, at time.Time) error {
	if at.IsZero() {
		at = now()
	}
	if _, err := s.pool.Exec(ctx, setPausedSQL, pipeline, paused, timeArg(at), by); err != nil {
		return fmt.Errorf("set pipeline %s paused: %w", pipeline, mapErr(err))
	}
	return nil
}

// ListPipelineStates returns every pipeline with a recorded state, by name.
func (s *Store) ListPipelineStates(ctx context.Context) ([]record.PipelineState, error) {
	rows, err := s.pool.Query(ctx, listPipelineStatesSQL)
	if err != nil {
		return nil, fmt.Errorf("list pipeline states: %w", mapErr(err))
	}
	ps, err := collect(rows, func(row pgx.Row) (record.PipelineState, error) {
		var p record.PipelineState
		var updated time.Time
		if err := row.Scan(&p.Pipeline, &p.Paused, &updated, &p.UpdatedBy); err != nil {
			return record.PipelineState{}, err
		}
		p.UpdatedAt = updated.UTC()
		return p, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list pipeline states: %w", mapErr(err))
	}
	return ps, nil
}
