package storepg

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/sqlstore"
)

// numbered is each of sqlstore.ApplySQL with PostgreSQL's placeholders.
var numbered = func() map[string]string {
	m := make(map[string]string, len(sqlstore.ApplySQL))
	for _, q := range sqlstore.ApplySQL {
		m[q] = sqlstore.Number(q)
	}
	return m
}()

// pgSQL is q, one of sqlstore.ApplySQL, with PostgreSQL's placeholders.
func pgSQL(q string) string {
	if t, ok := numbered[q]; ok {
		return t
	}
	return sqlstore.Number(q)
}

// Apply commits every change in b in one transaction, or none of them, as
// sqlstore's Apply does, but sends the batch's statements to the server in
// one round trip (the engine's commonest write; measured). An update of a
// run, task or attempt that does not exist is store.ErrNotFound; a second
// attempt with the same (run, task, attempt) is store.ErrConflict. IDs (and
// a dead letter's defaulted CreatedAt) are set only on success.
func (s *Store) Apply(ctx context.Context, b *store.Batch) error {
	return s.ApplyWith(ctx, b, s.commit)
}

// commit runs p in a transaction, its steps pipelined.
func (s *Store) commit(ctx context.Context, p *sqlstore.Plan) error {
	batch := &pgx.Batch{}
	for _, st := range p.Steps {
		batch.Queue(pgSQL(st.SQL), st.Args...)
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := markReplayed(ctx, tx, p.Replay); err != nil {
			return err
		}
		if batch.Len() == 0 {
			return nil
		}
		// Results come back in the order the statements were queued.
		br := tx.SendBatch(ctx, batch)
		defer br.Close()
		for i := range p.Steps {
			st := &p.Steps[i]
			var err error
			if st.ID != nil {
				err = mapErr(br.QueryRow().Scan(st.ID))
			} else {
				err = affectedOne(br.Exec())
			}
			if err != nil {
				return st.Err(err)
			}
		}
		return br.Close()
	})
	return mapErr(err)
}

// markReplayed runs a plan's replay, if any, in tx.
func markReplayed(ctx context.Context, tx pgx.Tx, st *sqlstore.Step) error {
	if st == nil {
		return nil
	}
	err := affectedOne(tx.Exec(ctx, pgSQL(st.SQL), st.Args...))
	if errors.Is(err, store.ErrNotFound) {
		var one int32
		err = sqlstore.NotReplayed(mapErr(tx.QueryRow(ctx, pgSQL(sqlstore.DeadLetterExistsSQL),
			st.ReplayedID()).Scan(&one)))
	}
	return st.Err(err)
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
