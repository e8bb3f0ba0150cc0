package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// The statements of Apply, with ? placeholders. They are exported for a
// driver that sends a Plan its own way (PostgreSQL pipelines it).
const (
	UpdateRunSQL = `UPDATE runs SET state = ?, started_at = ?, finished_at = ?,
		error = ? WHERE id = ?`
	UpdateRunTaskSQL = `UPDATE run_tasks SET state = ?, attempts = ?,
		next_attempt = ?, updated_at = ? WHERE run_id = ? AND task = ?`
	InsertAttemptSQL = `INSERT INTO task_attempts (run_id, task, attempt, state,
		queued_at, started_at, finished_at, pid, exit_code, signal, peak_memory,
		cpu_time_ns, log_path, outputs, output_errors, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	UpdateAttemptSQL = `UPDATE task_attempts SET state = ?, queued_at = ?,
		started_at = ?, finished_at = ?, pid = ?, exit_code = ?, signal = ?,
		peak_memory = ?, cpu_time_ns = ?, log_path = ?, outputs = ?, output_errors = ?,
		error = ? WHERE id = ?`
	InsertDeadLetterSQL = `INSERT INTO dead_letters (run_id, pipeline, task,
		attempt_id, attempts, error, created_at, replayed_at, replayed_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	InsertAuditSQL = `INSERT INTO audit_events (at, actor, action, pipeline, env,
		revision, deployment_id, reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		RETURNING id`
)

// ApplySQL is every query a Plan runs, for a driver to rewrite once.
var ApplySQL = []string{UpdateRunSQL, UpdateRunTaskSQL, InsertAttemptSQL,
	UpdateAttemptSQL, InsertDeadLetterSQL, InsertAuditSQL, MarkReplayedSQL,
	DeadLetterExistsSQL}

// Step is one statement of a Plan.
type Step struct {
	SQL  string // one of ApplySQL
	Args []any
	// ID, for an INSERT … RETURNING id, is where its id goes; nil for an
	// UPDATE, which must change exactly one row (store.ErrNotFound).
	ID *int64
	of any // the record the step writes, to say which in Err
}

// Err is err, from running st and mapped, as Apply reports it.
func (st *Step) Err(err error) error {
	if err == nil {
		return nil
	}
	switch r := st.of.(type) {
	case *record.Run:
		return fmt.Errorf("update run %d: %w", r.ID, err)
	case *record.RunTask:
		return fmt.Errorf("update task %d/%s: %w", r.RunID, r.Task, err)
	case *record.TaskAttempt:
		if st.ID != nil {
			return fmt.Errorf("insert attempt %d/%s#%d: %w", r.RunID, r.Task, r.Attempt, err)
		}
		return fmt.Errorf("update attempt %d: %w", r.ID, err)
	case *record.DeadLetter:
		return fmt.Errorf("insert dead letter %d/%s: %w", r.RunID, r.Task, err)
	case *store.Replayed:
		return fmt.Errorf("mark dead letter %d replayed: %w", r.DeadLetter, err)
	}
	return fmt.Errorf("append audit event: %w", err)
}

// Plan is a store.Batch as the statements that commit it, in one
// transaction: first Replay, on its own (a replay that changes no row
// makes the batch fail, with NotReplayed), then Steps in order.
type Plan struct {
	Replay *Step // nil for none
	Steps  []Step

	b         *store.Batch
	ids       []int64 // of the inserted attempts, then dead letters
	dlCreated []time.Time
	audit     []record.AuditEvent // as inserted, for Done
}

// Plan returns the statements of b — its run, tasks, inserted and updated
// attempts, dead letters and audit events — or nil when b changes nothing.
// An attempt cannot be both inserted and updated in one batch: its ID is
// not known until the batch has run.
func (s *Store) Plan(b *store.Batch) (*Plan, error) {
	if b == nil || (b.Run == nil && len(b.Tasks) == 0 && len(b.Insert) == 0 &&
		len(b.Update) == 0 && len(b.DeadLetters) == 0 && len(b.Audit) == 0 && b.Replayed == nil) {
		return nil, nil
	}
	p := &Plan{b: b, ids: make([]int64, len(b.Insert)+len(b.DeadLetters)),
		Steps: make([]Step, 0, len(b.Tasks)+len(b.Insert)+len(b.Update)+len(b.DeadLetters)+len(b.Audit)+1)}
	if r := b.Replayed; r != nil {
		at := r.At
		if at.IsZero() {
			at = Now()
		}
		p.Replay = &Step{SQL: MarkReplayedSQL, Args: []any{s.t(at), r.By, r.DeadLetter}, of: r}
	}
	if r := b.Run; r != nil {
		p.add(UpdateRunSQL, nil, r, string(r.State), s.t(r.StartedAt), s.t(r.FinishedAt), r.Error, r.ID)
	}
	for i := range b.Tasks {
		t := &b.Tasks[i]
		p.add(UpdateRunTaskSQL, nil, t, string(t.State), t.Attempts, s.t(t.NextAttempt),
			s.t(t.UpdatedAt), t.RunID, t.Task)
	}
	for i, a := range b.Insert {
		outputs, outErrs, err := attemptJSON(a)
		if err != nil {
			return nil, err
		}
		p.add(InsertAttemptSQL, &p.ids[i], a, a.RunID, a.Task, a.Attempt, string(a.State),
			s.t(a.QueuedAt), s.t(a.StartedAt), s.t(a.FinishedAt), a.PID, a.ExitCode, a.Signal,
			a.PeakMemory, int64(a.CPUTime), a.LogPath, outputs, outErrs, a.Error)
	}
	for _, a := range b.Update {
		outputs, outErrs, err := attemptJSON(a)
		if err != nil {
			return nil, err
		}
		p.add(UpdateAttemptSQL, nil, a, string(a.State), s.t(a.QueuedAt), s.t(a.StartedAt),
			s.t(a.FinishedAt), a.PID, a.ExitCode, a.Signal, a.PeakMemory, int64(a.CPUTime),
			a.LogPath, outputs, outErrs, a.Error, a.ID)
	}
	if len(b.DeadLetters) > 0 {
		p.dlCreated = make([]time.Time, len(b.DeadLetters))
	}
	for i, d := range b.DeadLetters {
		created := d.CreatedAt
		if created.IsZero() {
			created = Now()
		}
		p.dlCreated[i] = created
		p.add(InsertDeadLetterSQL, &p.ids[len(b.Insert)+i], d, d.RunID, d.Pipeline, d.Task,
			IDArg(d.AttemptID), d.Attempts, d.Error, s.t(created), s.t(d.ReplayedAt), d.ReplayedBy)
	}
	s.planAudit(p, b.Audit)
	return p, nil
}

// planAudit adds the insert of each event in evs (nil ones skipped), its
// time defaulted to now, to p.
func (s *Store) planAudit(p *Plan, evs []*record.AuditEvent) {
	if len(evs) == 0 {
		return
	}
	p.audit = make([]record.AuditEvent, len(evs))
	for i, ev := range evs {
		if ev == nil {
			continue
		}
		e := &p.audit[i]
		*e = *ev
		if e.Time.IsZero() {
			e.Time = Now()
		}
		e.Time = e.Time.UTC().Truncate(time.Microsecond)
		p.add(InsertAuditSQL, &e.ID, e, s.t(e.Time), e.Actor, string(e.Action), e.Pipeline,
			e.Env, e.Revision, IDArg(e.DeploymentID), e.Reason, e.Detail)
	}
}

func (p *Plan) add(q string, id *int64, of any, args ...any) {
	p.Steps = append(p.Steps, Step{SQL: q, Args: args, ID: id, of: of})
}

// Done hands out, once p's transaction has committed, what its inserts
// produced: the IDs, a dead letter's defaulted CreatedAt, an audit event's
// defaulted Time.
func (p *Plan) Done() {
	b := p.b
	for i, a := range b.Insert {
		a.ID = p.ids[i]
	}
	for i, d := range b.DeadLetters {
		d.ID, d.CreatedAt = p.ids[len(b.Insert)+i], p.dlCreated[i]
	}
	for i, ev := range b.Audit {
		if ev != nil {
			*ev = p.audit[i]
		}
	}
}

// Apply commits every change in b in one transaction, or none of them. An
// update of a run, task or attempt that does not exist is store.ErrNotFound;
// a second attempt with the same (run, task, attempt) is store.ErrConflict.
// IDs (and a dead letter's defaulted CreatedAt) are set only on success.
func (s *Store) Apply(ctx context.Context, b *store.Batch) error {
	return s.ApplyWith(ctx, b, s.Commit)
}

// Commit runs p in one write transaction: Apply's commit, for a driver
// whose own way of running a Plan leaves some plans to it.
func (s *Store) Commit(ctx context.Context, p *Plan) error {
	return s.db.WriteTx(ctx, func(tx *Tx) error {
		if err := markReplayed(tx, p); err != nil {
			return err
		}
		for i := range p.Steps {
			st := &p.Steps[i]
			var err error
			if st.ID != nil {
				*st.ID, err = tx.Insert(st.SQL, st.Args...)
			} else {
				err = tx.ExecOne(st.SQL, st.Args...)
			}
			if err != nil {
				return st.Err(err)
			}
		}
		return nil
	})
}

// ApplyWith is Apply with commit, a driver's own way of running a Plan in
// one transaction, whose errors come back mapped.
func (s *Store) ApplyWith(ctx context.Context, b *store.Batch, commit func(context.Context, *Plan) error) error {
	p, err := s.Plan(b)
	if err == nil && p != nil {
		err = commit(ctx, p)
	}
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	if p != nil {
		p.Done()
	}
	return nil
}

// attemptJSON encodes an attempt's JSON columns: outputs, output errors.
func attemptJSON(a *record.TaskAttempt) (outputs, outErrs any, err error) {
	if outputs, err = JSONArg(a.Outputs, a.Outputs == nil); err != nil {
		return nil, nil, err
	}
	outErrs, err = JSONArg(a.OutputErrors, a.OutputErrors == nil)
	return outputs, outErrs, err
}
