package storesqlite

import (
	"context"
	"database/sql"
	"errors"
)

const (
	runColumns = `id, pipeline, env, revision, interval_start, interval_end,
		trigger_type, state, params, created_at, started_at, finished_at, error,
		backfill_id`
	runTaskColumns = `run_id, task, state, attempts, next_attempt, updated_at`
	attemptColumns = `id, run_id, task, attempt, state, queued_at, started_at,
		finished_at, pid, exit_code, signal, peak_memory, cpu_time_ns, log_path,
		outputs, output_errors, error`
	deadLetterColumns = `id, run_id, pipeline, task, attempt_id, attempts, error,
		created_at, replayed_at, replayed_by`
	backfillColumns = `id, pipeline, env, range_start, range_end, parallelism, total,
		state, created_at, created_by`
)

// statements are prepared once: Apply runs on every task state change.
type statements struct {
	// On the write connection.
	insertRun, insertRunTask       *sql.Stmt
	updateRun, updateRunTask       *sql.Stmt
	insertAttempt, updateAttempt   *sql.Stmt
	insertDeadLetter, markReplayed *sql.Stmt
	insertBackfill                 *sql.Stmt
	// On the read pool.
	getRun, listRunTasks, getAttempt *sql.Stmt
	listAttempts, listTaskAttempts   *sql.Stmt
	getDeadLetter                    *sql.Stmt
	findCoveringRun, getBackfill     *sql.Stmt
	listQueues                       *sql.Stmt
	listQueuedPipeline               *sql.Stmt
	listQueuedBackfill               *sql.Stmt
}

func prepare(ctx context.Context, write, read *sql.DB) (*statements, error) {
	s := &statements{}
	var errs []error
	p := func(db *sql.DB, dst **sql.Stmt, query string) {
		st, err := db.PrepareContext(ctx, query)
		if err != nil {
			errs = append(errs, err)
			return
		}
		*dst = st
	}
	p(write, &s.insertRun, `INSERT INTO runs (pipeline, env, revision, interval_start,
		interval_end, trigger_type, state, params, created_at, started_at, finished_at, error,
		backfill_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	p(write, &s.insertRunTask, `INSERT INTO run_tasks (run_id, task, position, state,
		attempts, next_attempt, updated_at) VALUES (?, ?, ?, ?, 0, NULL, ?)`)
	p(write, &s.updateRun, `UPDATE runs SET state = ?, started_at = ?, finished_at = ?,
		error = ? WHERE id = ?`)
	p(write, &s.updateRunTask, `UPDATE run_tasks SET state = ?, attempts = ?,
		next_attempt = ?, updated_at = ? WHERE run_id = ? AND task = ?`)
	p(write, &s.insertAttempt, `INSERT INTO task_attempts (run_id, task, attempt, state,
		queued_at, started_at, finished_at, pid, exit_code, signal, peak_memory,
		cpu_time_ns, log_path, outputs, output_errors, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	p(write, &s.updateAttempt, `UPDATE task_attempts SET state = ?, queued_at = ?,
		started_at = ?, finished_at = ?, pid = ?, exit_code = ?, signal = ?,
		peak_memory = ?, cpu_time_ns = ?, log_path = ?, outputs = ?, output_errors = ?,
		error = ? WHERE id = ?`)
	p(write, &s.insertDeadLetter, `INSERT INTO dead_letters (run_id, pipeline, task,
		attempt_id, attempts, error, created_at, replayed_at, replayed_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	p(write, &s.markReplayed, `UPDATE dead_letters SET replayed_at = ?, replayed_by = ?
		WHERE id = ? AND replayed_at IS NULL`)
	p(write, &s.insertBackfill, `INSERT INTO backfills (pipeline, env, range_start,
		range_end, parallelism, total, state, created_at, created_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	p(read, &s.getRun, `SELECT `+runColumns+` FROM runs WHERE id = ?`)
	p(read, &s.listRunTasks, `SELECT `+runTaskColumns+` FROM run_tasks WHERE run_id = ?
		ORDER BY position`)
	p(read, &s.getAttempt, `SELECT `+attemptColumns+` FROM task_attempts WHERE id = ?`)
	p(read, &s.listAttempts, `SELECT `+attemptColumns+` FROM task_attempts
		WHERE run_id = ? ORDER BY id`)
	p(read, &s.listTaskAttempts, `SELECT `+attemptColumns+` FROM task_attempts
		WHERE run_id = ? AND task = ? ORDER BY id`)
	p(read, &s.getDeadLetter, `SELECT `+deadLetterColumns+` FROM dead_letters WHERE id = ?`)
	p(read, &s.findCoveringRun, findCoveringRunSQL)
	p(read, &s.getBackfill, `SELECT `+backfillColumns+` FROM backfills WHERE id = ?`)
	p(read, &s.listQueues, listQueuesSQL)
	p(read, &s.listQueuedPipeline, listQueuedPipelineSQL)
	p(read, &s.listQueuedBackfill, listQueuedBackfillSQL)
	if err := errors.Join(errs...); err != nil {
		_ = s.close()
		return nil, err
	}
	return s, nil
}

func (s *statements) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{
		s.insertRun, s.insertRunTask, s.updateRun, s.updateRunTask,
		s.insertAttempt, s.updateAttempt, s.insertDeadLetter, s.markReplayed,
		s.getRun, s.listRunTasks, s.getAttempt, s.listAttempts,
		s.listTaskAttempts, s.getDeadLetter, s.insertBackfill,
		s.findCoveringRun, s.getBackfill,
		s.listQueues, s.listQueuedPipeline, s.listQueuedBackfill,
	} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}
