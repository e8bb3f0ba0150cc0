package storepg

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

// Statements pgx prepares and caches per connection.
const (
	insertRunSQL = `INSERT INTO runs (pipeline, env, revision, interval_start,
		interval_end, trigger_type, state, params, created_at, started_at, finished_at, error,
		backfill_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`
	// One statement for all of a run's tasks, in their order.
	insertRunTasksSQL = `INSERT INTO run_tasks (run_id, task, position, state, updated_at)
		SELECT $1, t.task, t.ord - 1, $3, $4
		FROM unnest($2::text[]) WITH ORDINALITY AS t(task, ord)`
	updateRunSQL = `UPDATE runs SET state = $1, started_at = $2, finished_at = $3,
		error = $4 WHERE id = $5`
	updateRunTaskSQL = `UPDATE run_tasks SET state = $1, attempts = $2,
		next_attempt = $3, updated_at = $4 WHERE run_id = $5 AND task = $6`
	insertAttemptSQL = `INSERT INTO task_attempts (run_id, task, attempt, state,
		queued_at, started_at, finished_at, pid, exit_code, signal, peak_memory,
		cpu_time_ns, log_path, outputs, output_errors, error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
		RETURNING id`
	updateAttemptSQL = `UPDATE task_attempts SET state = $1, queued_at = $2,
		started_at = $3, finished_at = $4, pid = $5, exit_code = $6, signal = $7,
		peak_memory = $8, cpu_time_ns = $9, log_path = $10, outputs = $11,
		output_errors = $12, error = $13 WHERE id = $14`
	insertDeadLetterSQL = `INSERT INTO dead_letters (run_id, pipeline, task,
		attempt_id, attempts, error, created_at, replayed_at, replayed_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`
	markReplayedSQL = `UPDATE dead_letters SET replayed_at = $1, replayed_by = $2
		WHERE id = $3 AND replayed_at IS NULL`

	getRunSQL        = `SELECT ` + runColumns + ` FROM runs WHERE id = $1`
	listRunTasksSQL  = `SELECT ` + runTaskColumns + ` FROM run_tasks WHERE run_id = $1 ORDER BY position`
	getAttemptSQL    = `SELECT ` + attemptColumns + ` FROM task_attempts WHERE id = $1`
	listAttemptsSQL  = `SELECT ` + attemptColumns + ` FROM task_attempts WHERE run_id = $1 ORDER BY id`
	listTaskAttempts = `SELECT ` + attemptColumns + ` FROM task_attempts
		WHERE run_id = $1 AND task = $2 ORDER BY id`
	getDeadLetterSQL = `SELECT ` + deadLetterColumns + ` FROM dead_letters WHERE id = $1`

	// The newest succeeded run of pipeline $1 in env $2 whose interval covers
	// [$4, $3). Its state term is the WHERE of the partial index
	// runs_succeeded_cover.
	findCoveringRunSQL = `SELECT ` + runColumns + ` FROM runs
		WHERE pipeline = $1 AND env = $2 AND state = 'succeeded'
			AND interval_end >= $3 AND interval_start <= $4
		ORDER BY id DESC LIMIT 1`

	insertBackfillSQL = `INSERT INTO backfills (pipeline, env, range_start, range_end,
		parallelism, total, state, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`
	getBackfillSQL      = `SELECT ` + backfillColumns + ` FROM backfills WHERE id = $1`
	setBackfillStateSQL = `UPDATE backfills SET state = $1 WHERE id = $2`
	setPausedSQL        = `INSERT INTO pipeline_states (pipeline, paused, updated_at, updated_by)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (pipeline) DO UPDATE SET paused = excluded.paused,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`
	listPipelineStatesSQL = `SELECT pipeline, paused, updated_at, updated_by
		FROM pipeline_states ORDER BY pipeline`
)

// The dispatcher's queues, served by the partial indexes
// runs_queued_pipeline and runs_queued_backfill (migration 0007), whose
// WHERE clauses the queries repeat: the planner cannot prove a generic
// plan's state = ANY($n) implies them.
const (
	queuedPipelineSQL = `state IN ('queued', 'waiting_upstream') AND backfill_id IS NULL`
	queuedBackfillSQL = `state IN ('queued', 'waiting_upstream') AND backfill_id IS NOT NULL`

	// The distinct keys of both indexes, found by skipping from one to the
	// next (a loose index scan): one search per queue, not a walk over every
	// waiting run.
	listQueuesSQL = `WITH RECURSIVE
		p(name) AS (
			(SELECT pipeline FROM runs WHERE ` + queuedPipelineSQL + ` ORDER BY pipeline LIMIT 1)
			UNION ALL
			SELECT (SELECT pipeline FROM runs WHERE ` + queuedPipelineSQL + `
				AND pipeline > p.name ORDER BY pipeline LIMIT 1)
			FROM p WHERE p.name IS NOT NULL
		),
		b(id) AS (
			(SELECT backfill_id FROM runs WHERE ` + queuedBackfillSQL + ` ORDER BY backfill_id LIMIT 1)
			UNION ALL
			SELECT (SELECT backfill_id FROM runs WHERE ` + queuedBackfillSQL + `
				AND backfill_id > b.id ORDER BY backfill_id LIMIT 1)
			FROM b WHERE b.id IS NOT NULL
		)
	SELECT name, 0::bigint FROM p WHERE name IS NOT NULL
	UNION ALL
	SELECT '', id FROM b WHERE id IS NOT NULL`

	// The heads of one queue: $1 the pipeline or backfill ID, $2 the
	// trigger ("" for any), $3 the ID after which, $4 the limit.
	listQueuedPipelineSQL = `SELECT ` + runColumns + ` FROM runs
		WHERE ` + queuedPipelineSQL + ` AND pipeline = $1 AND ($2 = '' OR trigger_type = $2) AND id > $3
		ORDER BY id LIMIT $4`
	listQueuedBackfillSQL = `SELECT ` + runColumns + ` FROM runs
		WHERE ` + queuedBackfillSQL + ` AND backfill_id = $1 AND ($2 = '' OR trigger_type = $2) AND id > $3
		ORDER BY id LIMIT $4`
)
