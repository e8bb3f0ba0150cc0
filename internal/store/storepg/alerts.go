package storepg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

const alertColumns = `id, fingerprint, name, kind, pipeline, env, labels, annotations,
	state, starts_at, ends_at, updated_at, run_id`

// SaveAlert inserts a, or overwrites the alert with its fingerprint, and
// sets a.ID; a zero UpdatedAt becomes now and a zero StartsAt UpdatedAt.
func (s *Store) SaveAlert(ctx context.Context, a *record.Alert) error {
	if a.UpdatedAt.IsZero() {
		a.UpdatedAt = now()
	}
	if a.StartsAt.IsZero() {
		a.StartsAt = a.UpdatedAt
	}
	labels, err := jsonArg(mapOrEmpty(a.Labels), false)
	if err != nil {
		return fmt.Errorf("save alert: %w", err)
	}
	ann, err := jsonArg(mapOrEmpty(a.Annotations), false)
	if err != nil {
		return fmt.Errorf("save alert: %w", err)
	}
	err = s.pool.QueryRow(ctx, `INSERT INTO alerts (fingerprint, name, kind, pipeline, env,
		labels, annotations, state, starts_at, ends_at, updated_at, run_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (fingerprint) DO UPDATE SET name = excluded.name, kind = excluded.kind,
		pipeline = excluded.pipeline, env = excluded.env, labels = excluded.labels,
		annotations = excluded.annotations, state = excluded.state, starts_at = excluded.starts_at,
		ends_at = excluded.ends_at, updated_at = excluded.updated_at, run_id = excluded.run_id
		RETURNING id`,
		a.Fingerprint, a.Name, a.Kind, a.Pipeline, a.Env, labels, ann, string(a.State),
		timeArg(a.StartsAt), timeArg(a.EndsAt), timeArg(a.UpdatedAt), idArg(a.RunID)).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("save alert %s: %w", a.Fingerprint, mapErr(err))
	}
	return nil
}

// GetAlert returns the alert with that ID, or store.ErrNotFound.
func (s *Store) GetAlert(ctx context.Context, id int64) (record.Alert, error) {
	a, err := scanAlert(s.pool.QueryRow(ctx, `SELECT `+alertColumns+` FROM alerts WHERE id = $1`, id))
	if err != nil {
		return record.Alert{}, fmt.Errorf("get alert %d: %w", id, mapErr(err))
	}
	return a, nil
}

// GetAlertByFingerprint returns the alert with that fingerprint, or
// store.ErrNotFound.
func (s *Store) GetAlertByFingerprint(ctx context.Context, fp string) (record.Alert, error) {
	a, err := scanAlert(s.pool.QueryRow(ctx, `SELECT `+alertColumns+` FROM alerts WHERE fingerprint = $1`, fp))
	if err != nil {
		return record.Alert{}, fmt.Errorf("get alert %s: %w", fp, mapErr(err))
	}
	return a, nil
}

// where builds a WHERE clause with numbered placeholders.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, v any) {
	w.args = append(w.args, v)
	w.conds = append(w.conds, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(w.args))))
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// limit appends a LIMIT for n (0: the default, < 0: none) to q.
func (w *where) limit(q string, n int) string {
	if n < 0 {
		return q
	}
	w.args = append(w.args, limit(n))
	return q + fmt.Sprintf(" LIMIT $%d", len(w.args))
}

// ListAlerts returns alerts most recently updated first.
func (s *Store) ListAlerts(ctx context.Context, f store.AlertFilter) ([]record.Alert, error) {
	var w where
	if f.State != "" {
		w.add("state = ?", string(f.State))
	}
	if f.Pipeline != "" {
		w.add("pipeline = ?", f.Pipeline)
	}
	if f.Env != "" {
		w.add("env = ?", f.Env)
	}
	if f.Name != "" {
		w.add("name = ?", f.Name)
	}
	if len(f.Kinds) > 0 {
		w.add("kind = ANY(?)", f.Kinds)
	}
	q := w.limit(`SELECT `+alertColumns+` FROM alerts`+w.String()+" ORDER BY updated_at DESC, id DESC", f.Limit)
	rows, err := s.pool.Query(ctx, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", mapErr(err))
	}
	as, err := collect(rows, scanAlert)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", mapErr(err))
	}
	return as, nil
}

func scanAlert(row pgx.Row) (record.Alert, error) {
	var a record.Alert
	var state string
	var labels, ann []byte
	var starts, ends, updated *time.Time
	var run *int64
	if err := row.Scan(&a.ID, &a.Fingerprint, &a.Name, &a.Kind, &a.Pipeline, &a.Env, &labels, &ann,
		&state, &starts, &ends, &updated, &run); err != nil {
		return record.Alert{}, err
	}
	a.State = record.AlertState(state)
	a.StartsAt, a.EndsAt, a.UpdatedAt = timeOf(starts), timeOf(ends), timeOf(updated)
	if run != nil {
		a.RunID = *run
	}
	if err := decodeJSON(labels, &a.Labels); err != nil {
		return record.Alert{}, err
	}
	if err := decodeJSON(ann, &a.Annotations); err != nil {
		return record.Alert{}, err
	}
	return a, nil
}

// SaveAlertGroup upserts g and inserts ds, in one transaction.
func (s *Store) SaveAlertGroup(ctx context.Context, g *record.AlertGroup, ds []*record.AlertDelivery) error {
	normalizeGroup(g)
	labels, err := jsonArg(mapOrEmpty(g.Labels), false)
	if err != nil {
		return fmt.Errorf("save alert group: %w", err)
	}
	chans, err := jsonArg(channelsOrEmpty(g.Channels), false)
	if err != nil {
		return fmt.Errorf("save alert group: %w", err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO alert_groups (group_key, route, labels, created_at, next_flush_at, channels)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (group_key) DO UPDATE SET route = excluded.route, labels = excluded.labels,
			created_at = excluded.created_at, next_flush_at = excluded.next_flush_at, channels = excluded.channels`,
			g.Key, g.Route, labels, timeArg(g.CreatedAt), timeArg(g.NextFlushAt), chans); err != nil {
			return err
		}
		return insertDeliveries(ctx, tx, ds, g.Key, 0)
	})
	if err != nil {
		return fmt.Errorf("save alert group %s: %w", g.Key, mapErr(err))
	}
	return nil
}

// ListAlertGroups returns every group, by key.
func (s *Store) ListAlertGroups(ctx context.Context) ([]record.AlertGroup, error) {
	rows, err := s.pool.Query(ctx, `SELECT group_key, route, labels, created_at, next_flush_at, channels
		FROM alert_groups ORDER BY group_key`)
	if err != nil {
		return nil, fmt.Errorf("list alert groups: %w", mapErr(err))
	}
	gs, err := collect(rows, func(row pgx.Row) (record.AlertGroup, error) {
		var g record.AlertGroup
		var labels, chans []byte
		var created, next *time.Time
		if err := row.Scan(&g.Key, &g.Route, &labels, &created, &next, &chans); err != nil {
			return g, err
		}
		g.CreatedAt, g.NextFlushAt = timeOf(created), timeOf(next)
		if err := decodeJSON(labels, &g.Labels); err != nil {
			return g, err
		}
		return g, decodeJSON(chans, &g.Channels)
	})
	if err != nil {
		return nil, fmt.Errorf("list alert groups: %w", mapErr(err))
	}
	return gs, nil
}

// DeleteAlertGroup removes a group; a missing one is no error.
func (s *Store) DeleteAlertGroup(ctx context.Context, key string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM alert_groups WHERE group_key = $1`, key); err != nil {
		return fmt.Errorf("delete alert group %s: %w", key, mapErr(err))
	}
	return nil
}

// insertDeliveries inserts ds in tx with their group key or test-fire,
// setting their IDs.
func insertDeliveries(ctx context.Context, tx pgx.Tx, ds []*record.AlertDelivery, groupKey string, testFire int64) error {
	for _, d := range ds {
		if groupKey != "" {
			d.GroupKey = groupKey
		}
		if testFire != 0 {
			d.TestFireID = testFire
		}
		if d.At.IsZero() {
			d.At = now()
		}
		alerts, err := jsonArg(sentOrEmpty(d.Alerts), false)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `INSERT INTO alert_deliveries (group_key, test_fire_id, channel, type, kind,
			alerts, ok, status, attempts, error, retryable, sent_at, duration_us)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
			d.GroupKey, idArg(d.TestFireID), d.Channel, d.Type, d.Kind, alerts, d.OK, d.Status,
			d.Attempts, d.Error, d.Retryable, timeArg(d.At), d.Duration.Microseconds()).Scan(&d.ID); err != nil {
			return err
		}
		for _, a := range d.Alerts {
			if _, err := tx.Exec(ctx, `INSERT INTO alert_delivery_alerts (fingerprint, delivery_id)
				VALUES ($1, $2) ON CONFLICT DO NOTHING`, a.Fingerprint, d.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

const deliveryColumns = `d.id, d.group_key, d.test_fire_id, d.channel, d.type, d.kind, d.alerts, d.ok,
	d.status, d.attempts, d.error, d.retryable, d.sent_at, d.duration_us`

// ListAlertDeliveries returns deliveries newest first.
func (s *Store) ListAlertDeliveries(ctx context.Context, f store.AlertDeliveryFilter) ([]record.AlertDelivery, error) {
	q := `SELECT ` + deliveryColumns + ` FROM alert_deliveries d`
	var w where
	if f.Fingerprint != "" {
		q += ` JOIN alert_delivery_alerts da ON da.delivery_id = d.id`
		w.add("da.fingerprint = ?", f.Fingerprint)
	}
	if f.GroupKey != "" {
		w.add("d.group_key = ?", f.GroupKey)
	}
	if f.TestFireID != 0 {
		w.add("d.test_fire_id = ?", f.TestFireID)
	}
	if f.Channel != "" {
		w.add("d.channel = ?", f.Channel)
	}
	q = w.limit(q+w.String()+" ORDER BY d.id DESC", f.Limit)
	rows, err := s.pool.Query(ctx, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list alert deliveries: %w", mapErr(err))
	}
	ds, err := collect(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("list alert deliveries: %w", mapErr(err))
	}
	return ds, nil
}

func scanDelivery(row pgx.Row) (record.AlertDelivery, error) {
	var d record.AlertDelivery
	var tf *int64
	var at *time.Time
	var alerts []byte
	var status, attempts int32
	var dur int64
	if err := row.Scan(&d.ID, &d.GroupKey, &tf, &d.Channel, &d.Type, &d.Kind, &alerts, &d.OK,
		&status, &attempts, &d.Error, &d.Retryable, &at, &dur); err != nil {
		return d, err
	}
	if tf != nil {
		d.TestFireID = *tf
	}
	d.Status, d.Attempts = int(status), int(attempts)
	d.At, d.Duration = timeOf(at), time.Duration(dur)*time.Microsecond
	return d, decodeJSON(alerts, &d.Alerts)
}

const silenceColumns = `id, matchers, created_by, reason, starts_at, ends_at, created_at, expired_by`

// CreateSilence inserts sl and sets its ID; a zero CreatedAt is now.
func (s *Store) CreateSilence(ctx context.Context, sl *record.Silence) error {
	if sl.CreatedAt.IsZero() {
		sl.CreatedAt = now()
	}
	ms, err := jsonArg(sl.Matchers, false)
	if err != nil {
		return fmt.Errorf("create silence: %w", err)
	}
	err = s.pool.QueryRow(ctx, `INSERT INTO silences (matchers, created_by, reason, starts_at,
		ends_at, created_at, expired_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		ms, sl.CreatedBy, sl.Reason, timeArg(sl.StartsAt), timeArg(sl.EndsAt),
		timeArg(sl.CreatedAt), sl.ExpiredBy).Scan(&sl.ID)
	if err != nil {
		return fmt.Errorf("create silence: %w", mapErr(err))
	}
	return nil
}

// GetSilence returns one silence, or store.ErrNotFound.
func (s *Store) GetSilence(ctx context.Context, id int64) (record.Silence, error) {
	sl, err := scanSilence(s.pool.QueryRow(ctx, `SELECT `+silenceColumns+` FROM silences WHERE id = $1`, id))
	if err != nil {
		return record.Silence{}, fmt.Errorf("get silence %d: %w", id, mapErr(err))
	}
	return sl, nil
}

// ListSilences returns silences newest first.
func (s *Store) ListSilences(ctx context.Context, f store.SilenceFilter) ([]record.Silence, error) {
	var w where
	if !f.ActiveAt.IsZero() {
		w.add("starts_at <= ?", timeArg(f.ActiveAt))
		w.add("ends_at > ?", timeArg(f.ActiveAt))
	}
	q := w.limit(`SELECT `+silenceColumns+` FROM silences`+w.String()+` ORDER BY id DESC`, f.Limit)
	rows, err := s.pool.Query(ctx, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list silences: %w", mapErr(err))
	}
	ss, err := collect(rows, scanSilence)
	if err != nil {
		return nil, fmt.Errorf("list silences: %w", mapErr(err))
	}
	return ss, nil
}

// ExpireSilence ends silence id at at: store.ErrNotFound when there is no
// such silence, store.ErrConflict when it had already ended by then.
func (s *Store) ExpireSilence(ctx context.Context, id int64, by string, at time.Time) error {
	if at.IsZero() {
		at = now()
	}
	tag, err := s.pool.Exec(ctx, `UPDATE silences SET ends_at = $1, expired_by = $2,
		starts_at = LEAST(starts_at, $1) WHERE id = $3 AND ends_at > $1`, timeArg(at), by, id)
	if err != nil {
		return fmt.Errorf("expire silence %d: %w", id, mapErr(err))
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var one int
	err = s.pool.QueryRow(ctx, `SELECT 1 FROM silences WHERE id = $1`, id).Scan(&one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("expire silence %d: %w", id, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("expire silence %d: %w", id, mapErr(err))
	}
	return fmt.Errorf("expire silence %d: %w: already ended", id, store.ErrConflict)
}

func scanSilence(row pgx.Row) (record.Silence, error) {
	var sl record.Silence
	var ms []byte
	var starts, ends, created *time.Time
	if err := row.Scan(&sl.ID, &ms, &sl.CreatedBy, &sl.Reason, &starts, &ends, &created, &sl.ExpiredBy); err != nil {
		return sl, err
	}
	sl.StartsAt, sl.EndsAt, sl.CreatedAt = timeOf(starts), timeOf(ends), timeOf(created)
	return sl, decodeJSON(ms, &sl.Matchers)
}

// CreateTestFire inserts tf and its deliveries in one transaction.
func (s *Store) CreateTestFire(ctx context.Context, tf *record.TestFire, ds []*record.AlertDelivery) error {
	if tf.At.IsZero() {
		tf.At = now()
	}
	chans, err := jsonArg(stringsOrEmpty(tf.Channels), false)
	if err != nil {
		return fmt.Errorf("create test-fire: %w", err)
	}
	failed, err := jsonArg(stringsOrEmpty(tf.Failed), false)
	if err != nil {
		return fmt.Errorf("create test-fire: %w", err)
	}
	var id int64
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO test_fires (route, actor, fired_at, ok, channels, failed)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, tf.Route, tf.Actor, timeArg(tf.At), tf.OK,
			chans, failed).Scan(&id); err != nil {
			return err
		}
		return insertDeliveries(ctx, tx, ds, "", id)
	})
	if err != nil {
		return fmt.Errorf("create test-fire: %w", mapErr(err))
	}
	tf.ID = id
	return nil
}

// ListTestFires returns test-fires newest first.
func (s *Store) ListTestFires(ctx context.Context, f store.TestFireFilter) ([]record.TestFire, error) {
	var w where
	if f.Route != "" {
		w.add("route = ?", f.Route)
	}
	if f.OnlyOK {
		w.add("ok = ?", true)
	}
	q := w.limit(`SELECT id, route, actor, fired_at, ok, channels, failed FROM test_fires`+w.String()+` ORDER BY id DESC`, f.Limit)
	rows, err := s.pool.Query(ctx, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list test-fires: %w", mapErr(err))
	}
	tfs, err := collect(rows, func(row pgx.Row) (record.TestFire, error) {
		var tf record.TestFire
		var at *time.Time
		var chans, failed []byte
		if err := row.Scan(&tf.ID, &tf.Route, &tf.Actor, &at, &tf.OK, &chans, &failed); err != nil {
			return tf, err
		}
		tf.At = timeOf(at)
		if err := decodeJSON(chans, &tf.Channels); err != nil {
			return tf, err
		}
		return tf, decodeJSON(failed, &tf.Failed)
	})
	if err != nil {
		return nil, fmt.Errorf("list test-fires: %w", mapErr(err))
	}
	return tfs, nil
}

// decodeJSON decodes a jsonb column into *v, leaving an empty map or
// slice nil as it was before it was stored.
func decodeJSON[T any](b []byte, v *T) error {
	switch string(b) {
	case "", "{}", "[]", "null":
		var zero T
		*v = zero
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode json: %w", err)
	}
	return nil
}

func mapOrEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func stringsOrEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sentOrEmpty(s []record.SentAlert) []record.SentAlert {
	if s == nil {
		return []record.SentAlert{}
	}
	return s
}

func channelsOrEmpty(c []record.ChannelState) []record.ChannelState {
	if c == nil {
		return []record.ChannelState{}
	}
	return c
}

// normalizeGroup keeps g's times as the store returns them: UTC, to the
// microsecond, also inside the JSON channel state.
func normalizeGroup(g *record.AlertGroup) {
	if g.CreatedAt.IsZero() {
		g.CreatedAt = now()
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

// PruneAlerts deletes what ended before before; see store.AlertStore.
func (s *Store) PruneAlerts(ctx context.Context, before time.Time) (store.Pruned, error) {
	var p store.Pruned
	cut := timeArg(before)
	err := s.writeTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM alert_delivery_alerts WHERE delivery_id IN
			(SELECT id FROM alert_deliveries WHERE test_fire_id IS NULL AND sent_at < $1)`, cut); err != nil {
			return err
		}
		for _, q := range []struct {
			n   *int64
			sql string
		}{
			{&p.Deliveries, `DELETE FROM alert_deliveries WHERE test_fire_id IS NULL AND sent_at < $1`},
			{&p.Alerts, `DELETE FROM alerts WHERE state = 'resolved' AND ends_at < $1`},
			{&p.Silences, `DELETE FROM silences WHERE ends_at < $1`},
		} {
			tag, err := tx.Exec(ctx, q.sql, cut)
			if err != nil {
				return err
			}
			*q.n = tag.RowsAffected()
		}
		return nil
	})
	if err != nil {
		return store.Pruned{}, fmt.Errorf("prune alerts: %w", err)
	}
	return p, nil
}
