package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

const (
	silenceColumns = `id, matchers, created_by, reason, starts_at, ends_at, created_at, expired_by`

	// expireSilenceSQL ends a silence that has not ended by then, pulling
	// a start still ahead back to its end: arguments at, by, at, at, id, at.
	expireSilenceSQL = `UPDATE silences SET ends_at = ?, expired_by = ?,
		starts_at = CASE WHEN starts_at < ? THEN starts_at ELSE ? END
		WHERE id = ? AND ends_at > ?`
)

// CreateSilence inserts sl and sets its ID; a zero CreatedAt is now.
func (s *Store) CreateSilence(ctx context.Context, sl *record.Silence) error {
	if sl.CreatedAt.IsZero() {
		sl.CreatedAt = Now()
	}
	ms, err := JSONArg(sl.Matchers, false)
	if err != nil {
		return fmt.Errorf("create silence: %w", err)
	}
	if err := s.db.writeRow(ctx, `INSERT INTO silences (matchers, created_by, reason, starts_at,
		ends_at, created_at, expired_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		ms, sl.CreatedBy, sl.Reason, s.t(sl.StartsAt), s.t(sl.EndsAt),
		s.t(sl.CreatedAt), sl.ExpiredBy).Scan(&sl.ID); err != nil {
		return fmt.Errorf("create silence: %w", err)
	}
	return nil
}

// GetSilence returns one silence, or store.ErrNotFound.
func (s *Store) GetSilence(ctx context.Context, id int64) (record.Silence, error) {
	sl, err := scanSilence(s.db.Row(ctx, `SELECT `+silenceColumns+` FROM silences WHERE id = ?`, id))
	if err != nil {
		return record.Silence{}, fmt.Errorf("get silence %d: %w", id, err)
	}
	return sl, nil
}

// ListSilences returns silences newest first.
func (s *Store) ListSilences(ctx context.Context, f store.SilenceFilter) ([]record.Silence, error) {
	var w Where
	if !f.ActiveAt.IsZero() {
		w.Add("starts_at <= ?", s.t(f.ActiveAt))
		w.Add("ends_at > ?", s.t(f.ActiveAt))
	}
	q, args := w.Query(`SELECT `+silenceColumns+` FROM silences`, "id DESC", f.Limit)
	return queryAll(ctx, s, "list silences", scanSilence, q, args...)
}

// ExpireSilence ends silence id at at: store.ErrNotFound when there is no
// such silence, store.ErrConflict when it had already ended by then.
func (s *Store) ExpireSilence(ctx context.Context, id int64, by string, at time.Time) error {
	if at.IsZero() {
		at = Now()
	}
	t := s.t(at)
	res, err := s.db.Exec(ctx, expireSilenceSQL, t, by, t, t, id, t)
	if err != nil {
		return fmt.Errorf("expire silence %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("expire silence %d: %w", id, err)
	} else if n == 1 {
		return nil
	}
	var one int
	err = s.db.Row(ctx, `SELECT 1 FROM silences WHERE id = ?`, id).Scan(&one)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("expire silence %d: %w", id, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("expire silence %d: %w", id, err)
	}
	return fmt.Errorf("expire silence %d: %w: already ended", id, store.ErrConflict)
}

func scanSilence(sc Scanner) (record.Silence, error) {
	var sl record.Silence
	var ms string
	var starts, ends, created Time
	if err := sc.Scan(&sl.ID, &ms, &sl.CreatedBy, &sl.Reason, &starts, &ends, &created, &sl.ExpiredBy); err != nil {
		return sl, err
	}
	sl.StartsAt, sl.EndsAt, sl.CreatedAt = starts.T, ends.T, created.T
	return sl, decodeNonEmpty(ms, &sl.Matchers)
}

// PruneAlerts deletes what ended before before; see store.AlertStore.
func (s *Store) PruneAlerts(ctx context.Context, before time.Time) (store.Pruned, error) {
	var p store.Pruned
	cut := s.t(before)
	err := s.fencedWriteTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(`DELETE FROM alert_delivery_alerts WHERE delivery_id IN
			(SELECT id FROM alert_deliveries WHERE test_fire_id IS NULL AND sent_at < ?)`, cut); err != nil {
			return err
		}
		for _, q := range []struct {
			n   *int64
			sql string
		}{
			{&p.Deliveries, `DELETE FROM alert_deliveries WHERE test_fire_id IS NULL AND sent_at < ?`},
			{&p.Alerts, `DELETE FROM alerts WHERE state = 'resolved' AND ends_at < ?`},
			{&p.Silences, `DELETE FROM silences WHERE ends_at < ?`},
		} {
			res, err := tx.Exec(q.sql, cut)
			if err != nil {
				return err
			}
			if *q.n, err = res.RowsAffected(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return store.Pruned{}, fmt.Errorf("prune alerts: %w", err)
	}
	return p, nil
}
