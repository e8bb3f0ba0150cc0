package storesqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// Apply commits every change in b in one transaction, or none of them. An
// update of a run, task or attempt that does not exist is store.ErrNotFound;
// a second attempt with the same (run, task, attempt) is store.ErrConflict.
// IDs (and a dead letter's defaulted CreatedAt) are set only on success, so
// an attempt cannot be inserted and updated in one batch (as in storepg).
func (s *Store) Apply(ctx context.Context, b *store.Batch) (err error) {
	if b == nil || (b.Run == nil && len(b.Tasks) == 0 && len(b.Insert) == 0 &&
		len(b.Update) == 0 && len(b.DeadLetters) == 0 && len(b.Audit) == 0 && b.Replayed == nil) {
		return nil
	}
	res := applied{
		attemptIDs: make([]int64, len(b.Insert)),
		dlIDs:      make([]int64, len(b.DeadLetters)),
		dlCreated:  make([]time.Time, len(b.DeadLetters)),
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("apply: %w", mapErr(err))
	}
	if err = s.apply(ctx, tx, b, &res); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("apply: %w", mapErr(err))
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("apply: commit: %w", mapErr(err))
	}
	for i, a := range b.Insert {
		a.ID = res.attemptIDs[i]
	}
	for i, d := range b.DeadLetters {
		d.ID, d.CreatedAt = res.dlIDs[i], res.dlCreated[i]
	}
	return nil
}

// applied is what a batch's inserts produced, handed out after the commit.
type applied struct {
	attemptIDs, dlIDs []int64
	dlCreated         []time.Time
}

func (s *Store) apply(ctx context.Context, tx *sql.Tx, b *store.Batch, res *applied) error {
	if b.Replayed != nil {
		if err := s.markReplayed(ctx, tx, b.Replayed); err != nil {
			return err
		}
	}
	if r := b.Run; r != nil {
		out, err := tx.StmtContext(ctx, s.stmts.updateRun).ExecContext(ctx, string(r.State),
			timeArg(r.StartedAt), timeArg(r.FinishedAt), r.Error, r.ID)
		if err := affectedOne(out, err); err != nil {
			return fmt.Errorf("update run %d: %w", r.ID, err)
		}
	}
	if len(b.Tasks) > 0 {
		st := tx.StmtContext(ctx, s.stmts.updateRunTask)
		for _, t := range b.Tasks {
			out, err := st.ExecContext(ctx, string(t.State), t.Attempts,
				timeArg(t.NextAttempt), timeArg(t.UpdatedAt), t.RunID, t.Task)
			if err := affectedOne(out, err); err != nil {
				return fmt.Errorf("update task %d/%s: %w", t.RunID, t.Task, err)
			}
		}
	}
	if len(b.Insert) > 0 {
		st := tx.StmtContext(ctx, s.stmts.insertAttempt)
		for i, a := range b.Insert {
			id, err := insertAttempt(ctx, st, a)
			if err != nil {
				return fmt.Errorf("insert attempt %d/%s#%d: %w", a.RunID, a.Task, a.Attempt, err)
			}
			res.attemptIDs[i] = id
		}
	}
	if len(b.Update) > 0 {
		st := tx.StmtContext(ctx, s.stmts.updateAttempt)
		for _, a := range b.Update {
			if err := updateAttempt(ctx, st, a); err != nil {
				return fmt.Errorf("update attempt %d: %w", a.ID, err)
			}
		}
	}
	if len(b.DeadLetters) > 0 {
		st := tx.StmtContext(ctx, s.stmts.insertDeadLetter)
		for i, d := range b.DeadLetters {
			created := d.CreatedAt
			if created.IsZero() {
				created = now()
			}
			r, err := st.ExecContext(ctx, d.RunID, d.Pipeline, d.Task, idArg(d.AttemptID),
				d.Attempts, d.Error, timeArg(created), timeArg(d.ReplayedAt), d.ReplayedBy)
			if err != nil {
				return fmt.Errorf("insert dead letter %d/%s: %w", d.RunID, d.Task, mapErr(err))
			}
			if res.dlIDs[i], err = r.LastInsertId(); err != nil {
				return fmt.Errorf("insert dead letter %d/%s: %w", d.RunID, d.Task, err)
			}
			res.dlCreated[i] = created
		}
	}
	for _, ev := range b.Audit {
		if err := appendAudit(ctx, tx, ev); err != nil {
			return fmt.Errorf("append audit event: %w", err)
		}
	}
	return nil
}

func insertAttempt(ctx context.Context, st *sql.Stmt, a *record.TaskAttempt) (int64, error) {
	outputs, outErrs, err := attemptJSON(a)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, a.RunID, a.Task, a.Attempt, string(a.State),
		timeArg(a.QueuedAt), timeArg(a.StartedAt), timeArg(a.FinishedAt), a.PID,
		a.ExitCode, a.Signal, a.PeakMemory, int64(a.CPUTime), a.LogPath, outputs, outErrs, a.Error)
	if err != nil {
		return 0, mapErr(err)
	}
	return res.LastInsertId()
}

func updateAttempt(ctx context.Context, st *sql.Stmt, a *record.TaskAttempt) error {
	outputs, outErrs, err := attemptJSON(a)
	if err != nil {
		return err
	}
	res, err := st.ExecContext(ctx, string(a.State), timeArg(a.QueuedAt),
		timeArg(a.StartedAt), timeArg(a.FinishedAt), a.PID, a.ExitCode, a.Signal,
		a.PeakMemory, int64(a.CPUTime), a.LogPath, outputs, outErrs, a.Error, a.ID)
	return affectedOne(res, err)
}

// affectedOne maps an update that matched no row to store.ErrNotFound.
func affectedOne(res sql.Result, err error) error {
	if err != nil {
		return mapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// appendAudit appends ev, when set, in tx and sets its ID and time, for
// Apply (sqlstore appends the other audit events).
func appendAudit(ctx context.Context, tx *sql.Tx, ev *record.AuditEvent) error {
	if ev == nil {
		return nil
	}
	e := *ev
	if e.Time.IsZero() {
		e.Time = now()
	}
	e.Time = e.Time.UTC().Truncate(time.Microsecond)
	res, err := tx.ExecContext(ctx, `INSERT INTO audit_events (at, actor, action, pipeline, env,
		revision, deployment_id, reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		timeArg(e.Time), e.Actor, string(e.Action), e.Pipeline, e.Env, e.Revision,
		idArg(e.DeploymentID), e.Reason, e.Detail)
	if err != nil {
		return err
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	*ev = e
	return nil
}
