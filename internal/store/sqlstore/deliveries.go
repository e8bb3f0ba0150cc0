package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

const (
	deliveryColumns = `d.id, d.group_key, d.test_fire_id, d.channel, d.type, d.kind, d.alerts, d.ok,
		d.status, d.attempts, d.error, d.retryable, d.sent_at, d.duration_us`

	insertDeliverySQL = `INSERT INTO alert_deliveries (group_key, test_fire_id, channel, type, kind,
		alerts, ok, status, attempts, error, retryable, sent_at, duration_us)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	insertDeliveryAlertSQL = `INSERT INTO alert_delivery_alerts (fingerprint, delivery_id)
		VALUES (?, ?) ON CONFLICT DO NOTHING`
)

// insertDeliveries inserts ds in tx with their group key or test-fire,
// setting their IDs.
func (s *Store) insertDeliveries(tx *Tx, ds []*record.AlertDelivery, groupKey string, testFire int64) error {
	for _, d := range ds {
		if groupKey != "" {
			d.GroupKey = groupKey
		}
		if testFire != 0 {
			d.TestFireID = testFire
		}
		if d.At.IsZero() {
			d.At = Now()
		}
		alerts, err := JSONArg(emptySlice(d.Alerts), false)
		if err != nil {
			return err
		}
		if d.ID, err = tx.Insert(insertDeliverySQL, d.GroupKey, IDArg(d.TestFireID), d.Channel,
			d.Type, d.Kind, alerts, d.OK, d.Status, d.Attempts, d.Error, d.Retryable, s.t(d.At),
			d.Duration.Microseconds()); err != nil {
			return err
		}
		for _, a := range d.Alerts {
			if _, err := tx.Exec(insertDeliveryAlertSQL, a.Fingerprint, d.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// ListAlertDeliveries returns deliveries newest first.
func (s *Store) ListAlertDeliveries(ctx context.Context, f store.AlertDeliveryFilter) ([]record.AlertDelivery, error) {
	from := `SELECT ` + deliveryColumns + ` FROM alert_deliveries d`
	var w Where
	if f.Fingerprint != "" {
		from += ` JOIN alert_delivery_alerts da ON da.delivery_id = d.id`
		w.Add("da.fingerprint = ?", f.Fingerprint)
	}
	if f.GroupKey != "" {
		w.Add("d.group_key = ?", f.GroupKey)
	}
	if f.TestFireID != 0 {
		w.Add("d.test_fire_id = ?", f.TestFireID)
	}
	if f.Channel != "" {
		w.Add("d.channel = ?", f.Channel)
	}
	q, args := w.Query(from, "d.id DESC", f.Limit)
	return queryAll(ctx, s, "list alert deliveries", scanDelivery, q, args...)
}

func scanDelivery(sc Scanner) (record.AlertDelivery, error) {
	var d record.AlertDelivery
	var tf ID
	var at Time
	var alerts string
	var dur int64
	if err := sc.Scan(&d.ID, &d.GroupKey, &tf, &d.Channel, &d.Type, &d.Kind, &alerts, &d.OK,
		&d.Status, &d.Attempts, &d.Error, &d.Retryable, &at, &dur); err != nil {
		return d, err
	}
	d.TestFireID, d.At, d.Duration = tf.N, at.T, time.Duration(dur)*time.Microsecond
	return d, decodeNonEmpty(alerts, &d.Alerts)
}

// CreateTestFire inserts tf and its deliveries in one transaction.
func (s *Store) CreateTestFire(ctx context.Context, tf *record.TestFire, ds []*record.AlertDelivery) error {
	if tf.At.IsZero() {
		tf.At = Now()
	}
	chans, err := JSONArg(emptySlice(tf.Channels), false)
	if err != nil {
		return fmt.Errorf("create test-fire: %w", err)
	}
	failed, err := JSONArg(emptySlice(tf.Failed), false)
	if err != nil {
		return fmt.Errorf("create test-fire: %w", err)
	}
	var id int64
	err = s.db.WriteTx(ctx, func(tx *Tx) error {
		var err error
		if id, err = tx.Insert(`INSERT INTO test_fires (route, actor, fired_at, ok, channels, failed)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, tf.Route, tf.Actor, s.t(tf.At), tf.OK,
			chans, failed); err != nil {
			return err
		}
		return s.insertDeliveries(tx, ds, "", id)
	})
	if err != nil {
		return fmt.Errorf("create test-fire: %w", err)
	}
	tf.ID = id
	return nil
}

// ListTestFires returns test-fires newest first.
func (s *Store) ListTestFires(ctx context.Context, f store.TestFireFilter) ([]record.TestFire, error) {
	var w Where
	if f.Route != "" {
		w.Add("route = ?", f.Route)
	}
	if f.OnlyOK {
		w.Add("ok = ?", true)
	}
	q, args := w.Query(`SELECT id, route, actor, fired_at, ok, channels, failed FROM test_fires`, "id DESC", f.Limit)
	return queryAll(ctx, s, "list test-fires", scanTestFire, q, args...)
}

func scanTestFire(sc Scanner) (record.TestFire, error) {
	var tf record.TestFire
	var at Time
	var chans, failed string
	if err := sc.Scan(&tf.ID, &tf.Route, &tf.Actor, &at, &tf.OK, &chans, &failed); err != nil {
		return tf, err
	}
	tf.At = at.T
	if err := decodeNonEmpty(chans, &tf.Channels); err != nil {
		return tf, err
	}
	return tf, decodeNonEmpty(failed, &tf.Failed)
}
