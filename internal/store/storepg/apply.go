package storepg

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// Apply commits every change in b in one transaction, or none of them; its
// statements travel to the server in one round trip. An update of a run,
// task or attempt that does not exist is store.ErrNotFound; a second attempt
// with the same (run, task, attempt) is store.ErrConflict. IDs (and a dead
// letter's defaulted CreatedAt) are set only on success.
func (s *Store) Apply(ctx context.Context, b *store.Batch) error {
	if b == nil || (b.Run == nil && len(b.Tasks) == 0 && len(b.Insert) == 0 &&
		len(b.Update) == 0 && len(b.DeadLetters) == 0 && len(b.Audit) == 0 && b.Replayed == nil) {
		return nil
	}
	q, err := s.queue(b)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	attemptIDs := make([]int64, len(b.Insert))
	dlIDs := make([]int64, len(b.DeadLetters))
	// Results come back in the order queue sent them.
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if b.Replayed != nil {
			if err := markReplayed(ctx, tx, b.Replayed); err != nil {
				return err
			}
		}
		br := tx.SendBatch(ctx, q.batch)
		defer br.Close()
		if b.Run != nil {
			if err := affectedOne(br.Exec()); err != nil {
				return fmt.Errorf("update run %d: %w", b.Run.ID, err)
			}
		}
		for _, t := range b.Tasks {
			if err := affectedOne(br.Exec()); err != nil {
				return fmt.Errorf("update task %d/%s: %w", t.RunID, t.Task, err)
			}
		}
		for i, a := range b.Insert {
			if err := br.QueryRow().Scan(&attemptIDs[i]); err != nil {
				return fmt.Errorf("insert attempt %d/%s#%d: %w", a.RunID, a.Task, a.Attempt, mapErr(err))
			}
		}
		for _, a := range b.Update {
			if err := affectedOne(br.Exec()); err != nil {
				return fmt.Errorf("update attempt %d: %w", a.ID, err)
			}
		}
		for i, d := range b.DeadLetters {
			if err := br.QueryRow().Scan(&dlIDs[i]); err != nil {
				return fmt.Errorf("insert dead letter %d/%s: %w", d.RunID, d.Task, mapErr(err))
			}
		}
		if err := br.Close(); err != nil {
			return err
		}
		for _, ev := range b.Audit {
			if err := appendAudit(ctx, tx, ev); err != nil {
				return fmt.Errorf("append audit event: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("apply: %w", mapErr(err))
	}
	for i, a := range b.Insert {
		a.ID = attemptIDs[i]
	}
	for i, d := range b.DeadLetters {
		d.ID, d.CreatedAt = dlIDs[i], q.dlCreated[i]
	}
	return nil
}

// queued is a batch's statements, ready to send.
type queued struct {
	batch     *pgx.Batch
	dlCreated []time.Time
}

// queue turns b into statements. An attempt both inserted and updated in b
// cannot be: its ID is not known until the batch has run.
func (s *Store) queue(b *store.Batch) (queued, error) {
	q := queued{batch: &pgx.Batch{}, dlCreated: make([]time.Time, len(b.DeadLetters))}
	if r := b.Run; r != nil {
		q.batch.Queue(updateRunSQL, string(r.State), timeArg(r.StartedAt), timeArg(r.FinishedAt), r.Error, r.ID)
	}
	for _, t := range b.Tasks {
		q.batch.Queue(updateRunTaskSQL, string(t.State), t.Attempts, timeArg(t.NextAttempt),
			timeArg(t.UpdatedAt), t.RunID, t.Task)
	}
	for _, a := range b.Insert {
		outputs, outErrs, err := attemptJSON(a)
		if err != nil {
			return queued{}, err
		}
		q.batch.Queue(insertAttemptSQL, a.RunID, a.Task, a.Attempt, string(a.State),
			timeArg(a.QueuedAt), timeArg(a.StartedAt), timeArg(a.FinishedAt), a.PID,
			a.ExitCode, a.Signal, a.PeakMemory, int64(a.CPUTime), a.LogPath, outputs, outErrs, a.Error)
	}
	for _, a := range b.Update {
		outputs, outErrs, err := attemptJSON(a)
		if err != nil {
			return queued{}, err
		}
		q.batch.Queue(updateAttemptSQL, string(a.State), timeArg(a.QueuedAt),
			timeArg(a.StartedAt), timeArg(a.FinishedAt), a.PID, a.ExitCode, a.Signal,
			a.PeakMemory, int64(a.CPUTime), a.LogPath, outputs, outErrs, a.Error, a.ID)
	}
	for i, d := range b.DeadLetters {
		created := d.CreatedAt
		if created.IsZero() {
			created = now()
		}
		q.dlCreated[i] = created
		q.batch.Queue(insertDeadLetterSQL, d.RunID, d.Pipeline, d.Task, idArg(d.AttemptID),
			d.Attempts, d.Error, timeArg(created), timeArg(d.ReplayedAt), d.ReplayedBy)
	}
	return q, nil
}

// affectedOne maps an update that matched no row to store.ErrNotFound.
func affectedOne(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return mapErr(err)
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// appendAudit appends ev, when set, in tx and sets its ID and time, for
// Apply (sqlstore appends the other audit events).
func appendAudit(ctx context.Context, tx pgx.Tx, ev *record.AuditEvent) error {
	if ev == nil {
		return nil
	}
	e := *ev
	if e.Time.IsZero() {
		e.Time = now()
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	if err := tx.QueryRow(ctx, `INSERT INTO audit_events (at, actor, action, pipeline, env,
		revision, deployment_id, reason, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		RETURNING id`, timeArg(e.Time), e.Actor, string(e.Action), e.Pipeline, e.Env, e.Revision,
		idArg(e.DeploymentID), e.Reason, e.Detail).Scan(&e.ID); err != nil {
		return err
	}
	*ev = e
	return nil
}
