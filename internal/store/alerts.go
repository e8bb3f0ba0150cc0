package store

import (
	"context"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

// AlertStore persists alerting: alerts by fingerprint, notification groups,
// every delivery, silences and test-fires.
type AlertStore interface {
	// SaveAlert inserts a, or overwrites every field but ID of the alert
	// with a's fingerprint, and sets a.ID. A zero UpdatedAt is now.
	SaveAlert(ctx context.Context, a *record.Alert) error
	// GetAlert returns the alert with that ID, or ErrNotFound.
	GetAlert(ctx context.Context, id int64) (record.Alert, error)
	// GetAlertByFingerprint returns the alert with that fingerprint, or
	// ErrNotFound.
	GetAlertByFingerprint(ctx context.Context, fingerprint string) (record.Alert, error)
	// ListAlerts returns alerts most recently updated first.
	ListAlerts(ctx context.Context, f AlertFilter) ([]record.Alert, error)

	// SaveAlertGroup inserts or overwrites the group with g's key and
	// inserts ds (IDs set), in one transaction: a notification and the
	// group state saying it was sent are stored together or not at all.
	SaveAlertGroup(ctx context.Context, g *record.AlertGroup, ds []*record.AlertDelivery) error
	// ListAlertGroups returns every group, by key.
	ListAlertGroups(ctx context.Context) ([]record.AlertGroup, error)
	// DeleteAlertGroup removes a group; a missing one is no error.
	DeleteAlertGroup(ctx context.Context, key string) error
	// ListAlertDeliveries returns deliveries newest first.
	ListAlertDeliveries(ctx context.Context, f AlertDeliveryFilter) ([]record.AlertDelivery, error)

	// CreateSilence inserts s and sets its ID; a zero CreatedAt is now.
	CreateSilence(ctx context.Context, s *record.Silence) error
	// GetSilence returns one silence, or ErrNotFound.
	GetSilence(ctx context.Context, id int64) (record.Silence, error)
	// ListSilences returns silences newest first.
	ListSilences(ctx context.Context, f SilenceFilter) ([]record.Silence, error)
	// ExpireSilence ends a silence at at, recording by. It returns
	// ErrNotFound when there is no such silence and ErrConflict when it
	// had already ended by at.
	ExpireSilence(ctx context.Context, id int64, by string, at time.Time) error

	// CreateTestFire inserts tf and its deliveries (TestFireID and IDs
	// set) in one transaction.
	CreateTestFire(ctx context.Context, tf *record.TestFire, ds []*record.AlertDelivery) error
	// ListTestFires returns test-fires newest first.
	ListTestFires(ctx context.Context, f TestFireFilter) ([]record.TestFire, error)

	// PruneAlerts deletes what ended before before: resolved alerts,
	// deliveries (but those of test-fires) and silences. Firing alerts,
	// groups and test-fires stay.
	PruneAlerts(ctx context.Context, before time.Time) (Pruned, error)
}

// Pruned counts what PruneAlerts deleted.
type Pruned struct {
	Alerts, Deliveries, Silences int64
}

// AlertFilter narrows ListAlerts. Zero fields do not filter.
type AlertFilter struct {
	State    record.AlertState
	Pipeline string
	Env      string
	Name     string
	Kinds    []string
	Limit    int // 0 means 50; < 0 means no limit
}

// AlertDeliveryFilter narrows ListAlertDeliveries. Zero fields do not
// filter.
type AlertDeliveryFilter struct {
	Fingerprint string // deliveries that carried this alert
	GroupKey    string
	TestFireID  int64
	Channel     string
	Limit       int // 0 means 50; < 0 means no limit
}

// SilenceFilter narrows ListSilences. Zero fields do not filter.
type SilenceFilter struct {
	ActiveAt time.Time // only silences active at this instant
	Limit    int       // 0 means 50; < 0 means no limit
}

// TestFireFilter narrows ListTestFires. Zero fields do not filter.
type TestFireFilter struct {
	Route  string
	OnlyOK bool // only test-fires every channel took
	Limit  int  // 0 means 50; < 0 means no limit
}
