package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

const taskApprovalColumns = `attempt_id, run_id, task, required, approvers, guards, state,
	created_at, deadline, decided_at, reason`

// OpenTaskApproval records a unless its attempt has an approval already,
// and returns the one stored.
func (s *Store) OpenTaskApproval(ctx context.Context, a record.TaskApproval) (record.TaskApproval, error) {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = Now()
	}
	approvers, err := JSONArg(nonNil(a.Approvers), false)
	if err != nil {
		return record.TaskApproval{}, err
	}
	guards, err := JSONArg(nonNil(a.Guards), false)
	if err != nil {
		return record.TaskApproval{}, err
	}
	var out record.TaskApproval
	err = s.db.WriteTx(ctx, func(tx *Tx) error {
		got, err := s.taskApproval(ctx, tx.Querier(), a.AttemptID)
		if err == nil {
			out = got
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO task_approvals (`+taskApprovalColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.AttemptID, a.RunID, a.Task, a.Required,
			approvers, guards, string(record.ApprovalWaiting), s.t(a.CreatedAt), s.t(a.Deadline),
			s.t(time.Time{}), ""); err != nil {
			return err
		}
		out, err = s.taskApproval(ctx, tx.Querier(), a.AttemptID)
		return err
	})
	if err != nil {
		return record.TaskApproval{}, fmt.Errorf("open approval of attempt %d: %w", a.AttemptID, err)
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// GetTaskApproval returns the approval of an attempt.
func (s *Store) GetTaskApproval(ctx context.Context, attemptID int64) (record.TaskApproval, error) {
	a, err := s.taskApproval(ctx, s.db, attemptID)
	if err != nil {
		return a, fmt.Errorf("approval of attempt %d: %w", attemptID, err)
	}
	return a, nil
}

func (s *Store) taskApproval(ctx context.Context, q Querier, attemptID int64) (record.TaskApproval, error) {
	a, err := scanTaskApproval(q.Row(ctx, `SELECT `+taskApprovalColumns+` FROM task_approvals WHERE attempt_id = ?`, attemptID))
	if err != nil {
		return a, err
	}
	a.Approved, err = s.approvedBy(ctx, q, attemptID)
	return a, err
}

func (s *Store) approvedBy(ctx context.Context, q Querier, attemptID int64) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT actor FROM task_decisions WHERE attempt_id = ? AND approve = ? ORDER BY at, actor`+s.bytewise(), attemptID, true)
	return Collect(rows, err, func(sc Scanner) (string, error) {
		var actor string
		return actor, sc.Scan(&actor)
	})
}

// ListTaskApprovals returns a run's approvals, oldest first.
func (s *Store) ListTaskApprovals(ctx context.Context, runID int64) ([]record.TaskApproval, error) {
	out, err := queryAll(ctx, s, "list approvals", scanTaskApproval, `SELECT `+taskApprovalColumns+`
		FROM task_approvals WHERE run_id = ? ORDER BY attempt_id`, runID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Approved, err = s.approvedBy(ctx, s.db, out[i].AttemptID); err != nil {
			return nil, fmt.Errorf("list approvals: %w", err)
		}
	}
	return out, nil
}

// ListTaskDecisions returns the decisions on an attempt's approval.
func (s *Store) ListTaskDecisions(ctx context.Context, attemptID int64) ([]record.TaskDecision, error) {
	return queryAll(ctx, s, "list decisions", func(sc Scanner) (record.TaskDecision, error) {
		var d record.TaskDecision
		var at Time
		err := sc.Scan(&d.AttemptID, &d.Actor, &d.Approve, &d.Comment, &at)
		d.At = at.T
		return d, err
	}, `SELECT attempt_id, actor, approve, comment, at FROM task_decisions
		WHERE attempt_id = ? ORDER BY at, actor`+s.bytewise(), attemptID)
}

// DecideTaskApproval records a decision. Where the dialect locks rows, the
// lock on the approval orders concurrent decisions on it.
func (s *Store) DecideTaskApproval(ctx context.Context, d record.TaskDecision, ev *record.AuditEvent) (record.TaskApproval, error) {
	if d.At.IsZero() {
		d.At = Now()
	}
	var out record.TaskApproval
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		var state string
		var required int
		var deadline Time
		if err := tx.Row(`SELECT state, required, deadline FROM task_approvals WHERE attempt_id = ?`+s.db.d.ForUpdate(),
			d.AttemptID).Scan(&state, &required, &deadline); err != nil {
			return err
		}
		if state != string(record.ApprovalWaiting) {
			return fmt.Errorf("%w: it is %s, no longer waiting", store.ErrConflict, state)
		}
		if !deadline.T.IsZero() && !d.At.Before(deadline.T) {
			// Its attempt times it out when it next looks.
			return fmt.Errorf("%w: its deadline, %s, has passed", store.ErrConflict, deadline.T.UTC().Format(time.RFC3339))
		}
		if _, err := tx.Exec(`INSERT INTO task_decisions (attempt_id, actor, approve, comment, at)
			VALUES (?, ?, ?, ?, ?)`, d.AttemptID, d.Actor, d.Approve, d.Comment, s.t(d.At)); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("%w: %s has decided on it already", store.ErrConflict, d.Actor)
			}
			return err
		}
		to := ""
		if !d.Approve {
			to = string(record.ApprovalRejected)
		} else {
			var n int
			if err := tx.Row(`SELECT count(*) FROM task_decisions WHERE attempt_id = ? AND approve = ?`,
				d.AttemptID, true).Scan(&n); err != nil {
				return err
			}
			if n >= required {
				to = string(record.ApprovalApproved)
			}
		}
		if to != "" {
			reason := ""
			if !d.Approve {
				reason = d.Comment
			}
			if err := tx.ExecOne(`UPDATE task_approvals SET state = ?, decided_at = ?, reason = ?
				WHERE attempt_id = ?`, to, s.t(d.At), reason, d.AttemptID); err != nil {
				return err
			}
		}
		if err := s.appendAudit(tx, ev); err != nil {
			return err
		}
		var err error
		out, err = s.taskApproval(ctx, tx.Querier(), d.AttemptID)
		return err
	})
	if err != nil {
		return record.TaskApproval{}, fmt.Errorf("decide approval of attempt %d: %w", d.AttemptID, err)
	}
	return out, nil
}

// EndTaskApproval moves a waiting approval to state.
func (s *Store) EndTaskApproval(ctx context.Context, attemptID int64, state record.TaskApprovalState, at time.Time) error {
	if at.IsZero() {
		at = Now()
	}
	err := s.db.WriteTx(ctx, func(tx *Tx) error {
		err := tx.ExecOne(`UPDATE task_approvals SET state = ?, decided_at = ?
			WHERE attempt_id = ? AND state = 'waiting'`, string(state), s.t(at), attemptID)
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		var cur string
		if err := tx.Row(`SELECT state FROM task_approvals WHERE attempt_id = ?`, attemptID).Scan(&cur); err != nil {
			return err
		}
		return fmt.Errorf("%w: it is %s, no longer waiting", store.ErrConflict, cur)
	})
	if err != nil {
		return fmt.Errorf("end approval of attempt %d: %w", attemptID, err)
	}
	return nil
}

func scanTaskApproval(sc Scanner) (record.TaskApproval, error) {
	var a record.TaskApproval
	var state string
	var approvers, guards JSON[[]string]
	var created, deadline, decided Time
	if err := sc.Scan(&a.AttemptID, &a.RunID, &a.Task, &a.Required, &approvers, &guards, &state,
		&created, &deadline, &decided, &a.Reason); err != nil {
		return record.TaskApproval{}, err
	}
	a.State, a.Approvers, a.Guards = record.TaskApprovalState(state), approvers.V, guards.V
	a.CreatedAt, a.Deadline, a.DecidedAt = created.T, deadline.T, decided.T
	return a, nil
}
