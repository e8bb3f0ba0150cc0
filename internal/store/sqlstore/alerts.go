package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

const (
	alertColumns = `id, fingerprint, name, kind, pipeline, env, labels, annotations,
		state, starts_at, ends_at, updated_at, run_id`

	saveAlertSQL = `INSERT INTO alerts (fingerprint, name, kind, pipeline, env,
		labels, annotations, state, starts_at, ends_at, updated_at, run_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (fingerprint) DO UPDATE SET name = excluded.name, kind = excluded.kind,
		pipeline = excluded.pipeline, env = excluded.env, labels = excluded.labels,
		annotations = excluded.annotations, state = excluded.state, starts_at = excluded.starts_at,
		ends_at = excluded.ends_at, updated_at = excluded.updated_at, run_id = excluded.run_id
		RETURNING id`
)

// SaveAlert inserts a, or overwrites the alert with its fingerprint, and
// sets a.ID; a zero UpdatedAt becomes now and a zero StartsAt UpdatedAt.
func (s *Store) SaveAlert(ctx context.Context, a *record.Alert) error {
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = Now()
	}
	if a.StartsAt.IsZero() {
		a.StartsAt = a.UpdatedAt
	}
	labels, err := JSONArg(emptyMap(a.Labels), false)
	if err != nil {
		return fmt.Errorf("save alert: %w", err)
	}
	ann, err := JSONArg(emptyMap(a.Annotations), false)
	if err != nil {
		return fmt.Errorf("save alert: %w", err)
	}
	var id int64
	args := []any{a.Fingerprint, a.Name, a.Kind, a.Pipeline, a.Env,
		labels, ann, string(a.State), s.t(a.StartsAt), s.t(a.EndsAt), s.t(a.UpdatedAt),
		IDArg(a.RunID)}
	if _, ok := store.FenceFrom(ctx); ok {
		err = s.fencedWriteTx(ctx, func(tx *Tx) error {
			return tx.Row(saveAlertSQL, args...).Scan(&id)
		})
	} else {
		err = s.db.writeRow(ctx, saveAlertSQL, args...).Scan(&id)
	}
	if err != nil {
		return fmt.Errorf("save alert %s: %w", a.Fingerprint, err)
	}
	a.ID = id
	return nil
}

// GetAlert returns the alert with that ID, or store.ErrNotFound.
func (s *Store) GetAlert(ctx context.Context, id int64) (record.Alert, error) {
	a, err := scanAlert(s.db.Row(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = ?`, id))
	if err != nil {
		return record.Alert{}, fmt.Errorf("get alert %d: %w", id, err)
	}
	return a, nil
}

// GetAlertByFingerprint returns the alert with that fingerprint, or
// store.ErrNotFound.
func (s *Store) GetAlertByFingerprint(ctx context.Context, fp string) (record.Alert, error) {
	a, err := scanAlert(s.db.Row(ctx, `SELECT `+alertColumns+` FROM alerts WHERE fingerprint = ?`, fp))
	if err != nil {
		return record.Alert{}, fmt.Errorf("get alert %s: %w", fp, err)
	}
	return a, nil
}

// ListAlerts returns alerts most recently updated first.
func (s *Store) ListAlerts(ctx context.Context, f store.AlertFilter) ([]record.Alert, error) {
	var w Where
	if f.State != "" {
		w.Add("state = ?", string(f.State))
	}
	if f.Pipeline != "" {
		w.Add("pipeline = ?", f.Pipeline)
	}
	if f.Env != "" {
		w.Add("env = ?", f.Env)
	}
	if f.Name != "" {
		w.Add("name = ?", f.Name)
	}
	In(&w, "kind", f.Kinds)
	q, args := w.Query(`SELECT `+alertColumns+` FROM alerts`, "updated_at DESC, id DESC", f.Limit)
	return queryAll(ctx, s, "list alerts", scanAlert, q, args...)
}

func scanAlert(sc Scanner) (record.Alert, error) {
	var a record.Alert
	var state, labels, ann string
	var starts, ends, updated Time
	var run ID
	if err := sc.Scan(&a.ID, &a.Fingerprint, &a.Name, &a.Kind, &a.Pipeline, &a.Env, &labels, &ann,
		&state, &starts, &ends, &updated, &run); err != nil {
		return record.Alert{}, err
	}
	a.State = record.AlertState(state)
	a.StartsAt, a.EndsAt, a.UpdatedAt = starts.T, ends.T, updated.T
	a.RunID = run.N
	if err := decodeNonEmpty(labels, &a.Labels); err != nil {
		return record.Alert{}, err
	}
	if err := decodeNonEmpty(ann, &a.Annotations); err != nil {
		return record.Alert{}, err
	}
	return a, nil
}

// SaveAlertGroup upserts g and inserts ds, in one transaction.
func (s *Store) SaveAlertGroup(ctx context.Context, g *record.AlertGroup, ds []*record.AlertDelivery) error {
	normalizeGroup(g)
	labels, err := JSONArg(emptyMap(g.Labels), false)
	if err != nil {
		return fmt.Errorf("save alert group: %w", err)
	}
	chans, err := JSONArg(emptySlice(g.Channels), false)
	if err != nil {
		return fmt.Errorf("save alert group: %w", err)
	}
	err = s.fencedWriteTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(`INSERT INTO alert_groups (group_key, route, labels, created_at, next_flush_at, channels)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (group_key) DO UPDATE SET route = excluded.route, labels = excluded.labels,
			created_at = excluded.created_at, next_flush_at = excluded.next_flush_at, channels = excluded.channels`,
			g.Key, g.Route, labels, s.t(g.CreatedAt), s.t(g.NextFlushAt), chans); err != nil {
			return err
		}
		return s.insertDeliveries(tx, ds, g.Key, 0)
	})
	if err != nil {
		return fmt.Errorf("save alert group %s: %w", g.Key, err)
	}
	return nil
}

// ListAlertGroups returns every group, by key.
func (s *Store) ListAlertGroups(ctx context.Context) ([]record.AlertGroup, error) {
	return queryAll(ctx, s, "list alert groups", scanAlertGroup, `SELECT group_key, route, labels, created_at, next_flush_at, channels
		FROM alert_groups ORDER BY group_key`)
}

func scanAlertGroup(sc Scanner) (record.AlertGroup, error) {
	var g record.AlertGroup
	var labels, chans string
	var created, next Time
	if err := sc.Scan(&g.Key, &g.Route, &labels, &created, &next, &chans); err != nil {
		return g, err
	}
	g.CreatedAt, g.NextFlushAt = created.T, next.T
	if err := decodeNonEmpty(labels, &g.Labels); err != nil {
		return g, err
	}
	return g, decodeNonEmpty(chans, &g.Channels)
}

// DeleteAlertGroup removes a group; a missing one is no error.
func (s *Store) DeleteAlertGroup(ctx context.Context, key string) error {
	if _, err := s.db.Exec(ctx, `DELETE FROM alert_groups WHERE group_key = ?`, key); err != nil {
		return fmt.Errorf("delete alert group %s: %w", key, err)
	}
	return nil
}

// normalizeGroup keeps g's times as the store returns them: UTC, to the
// microsecond, also inside the JSON channel state.
func normalizeGroup(g *record.AlertGroup) {
	if g.CreatedAt.IsZero() {
		g.CreatedAt = Now()
	}
	g.CreatedAt = g.CreatedAt.UTC().Truncate(time.Microsecond)
	if !g.NextFlushAt.IsZero() {
		g.NextFlushAt = g.NextFlushAt.UTC().Truncate(time.Microsecond)
	}
	for i := range g.Channels {
		if t := g.Channels[i].LastNotifiedAt; !t.IsZero() {
			g.Channels[i].LastNotifiedAt = t.UTC().Truncate(time.Microsecond)
		}
	}
}

// decodeNonEmpty decodes a JSON column into *v, leaving an empty map or
// slice nil as it was before it was stored.
func decodeNonEmpty[T any](s string, v *T) error {
	switch s {
	case "", "{}", "[]", "null":
		var zero T
		*v = zero
		return nil
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("decode json: %w", err)
	}
	return nil
}

// emptyMap is m, or an empty map for nil: the JSON columns it is stored
// in are never NULL.
func emptyMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// emptySlice is s, or an empty slice for nil, for the same reason.
func emptySlice[E any](s []E) []E {
	if s == nil {
		return []E{}
	}
	return s
}
