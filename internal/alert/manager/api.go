package manager

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// ErrInvalid marks a request the manager refuses: a bad silence, an
// unknown route. The message says what is wrong.
var ErrInvalid = errors.New("invalid request")

// Raised is an alert raised from outside the conditions, such as an
// automatic rollback. It resolves after the next succeeded run of its
// pipeline in its environment.
type Raised struct {
	Name     string // alertname; "" means RolledBack
	Kind     string // a spec.AlertKinds kind; "" means rollback
	Pipeline string
	Env      string
	Summary  string
	Details  string
	RunID    int64
}

// Raise records a raised alert as firing and wakes the loop to deliver it.
// Raising the same alert (name, pipeline, env) while it fires updates its
// text and does not page again.
func (m *Manager) Raise(ctx context.Context, r Raised) error {
	if r.Pipeline == "" {
		return fmt.Errorf("raise: %w: no pipeline", ErrInvalid)
	}
	if r.Name == "" {
		r.Name = NameRolledBack
	}
	if r.Kind == "" {
		r.Kind = "rollback"
	}
	t := Target{Env: r.Env}
	for _, x := range m.cfg.Targets() {
		if x.Pipeline.Name == r.Pipeline && (t.Pipeline == nil || x.Env == r.Env) {
			t.Pipeline = x.Pipeline
		}
	}
	if t.Pipeline == nil {
		return fmt.Errorf("raise: %w: unknown pipeline %q", ErrInvalid, r.Pipeline)
	}
	now := m.cfg.Now()
	e := &eval{m: m, now: now, project: m.cfg.Project(), alerts: map[string]record.Alert{}}
	if e.project == nil {
		return errors.New("raise: no project")
	}
	ann := map[string]string{AnnSummary: r.Summary, AnnDetails: r.Details, annResolve: "next_success"}
	e.add(t, r.Name, r.Kind, nil, ann, r.RunID)
	for _, a := range e.alerts {
		old, err := m.cfg.Store.GetAlertByFingerprint(ctx, a.Fingerprint)
		switch {
		case err == nil && old.State == record.AlertFiring:
			a.ID, a.StartsAt = old.ID, old.StartsAt
		case err == nil || errors.Is(err, store.ErrNotFound):
			a.StartsAt = now
		default:
			return fmt.Errorf("raise: %w", err)
		}
		a.UpdatedAt = now
		if err := m.cfg.Store.SaveAlert(ctx, &a); err != nil {
			return fmt.Errorf("raise: %w", err)
		}
	}
	m.Wake()
	return nil
}

// ListAlerts returns alerts most recently updated first.
func (m *Manager) ListAlerts(ctx context.Context, f store.AlertFilter) ([]record.Alert, error) {
	return m.cfg.Store.ListAlerts(ctx, f)
}

// AlertDetail is one alert with its deliveries, newest first.
type AlertDetail struct {
	Alert      record.Alert
	Deliveries []record.AlertDelivery
	SilencedBy int64 // an active silence muting it; 0 when none
}

// GetAlert returns an alert by its numeric ID or its fingerprint, with
// its last 100 deliveries; store.ErrNotFound when there is none.
func (m *Manager) GetAlert(ctx context.Context, key string) (AlertDetail, error) {
	var a record.Alert
	var err error
	if id, perr := strconv.ParseInt(key, 10, 64); perr == nil {
		a, err = m.cfg.Store.GetAlert(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			a, err = m.cfg.Store.GetAlertByFingerprint(ctx, key)
		}
	} else {
		a, err = m.cfg.Store.GetAlertByFingerprint(ctx, key)
	}
	if err != nil {
		return AlertDetail{}, err
	}
	ds, err := m.cfg.Store.ListAlertDeliveries(ctx, store.AlertDeliveryFilter{Fingerprint: a.Fingerprint, Limit: 100})
	if err != nil {
		return AlertDetail{}, err
	}
	d := AlertDetail{Alert: a, Deliveries: ds}
	if ss, err := m.cfg.Store.ListSilences(ctx, store.SilenceFilter{ActiveAt: m.cfg.Now(), Limit: -1}); err == nil {
		d.SilencedBy = compileSilences(ss).silencedBy(labelsOf(a))
	}
	return d, nil
}

// AddSilence validates and stores a silence: at least one matcher, a
// creator, a reason and an end after its start (a zero start is now).
func (m *Manager) AddSilence(ctx context.Context, s record.Silence) (record.Silence, error) {
	now := m.cfg.Now()
	if s.StartsAt.IsZero() {
		s.StartsAt = now
	}
	var problems []error
	if len(s.Matchers) == 0 {
		problems = append(problems, errors.New("at least one matcher is required"))
	}
	for _, mt := range s.Matchers {
		if err := validateMatcher(mt); err != nil {
			problems = append(problems, err)
		}
	}
	if s.CreatedBy == "" {
		problems = append(problems, errors.New("created_by is required"))
	}
	if s.Reason == "" {
		problems = append(problems, errors.New("a reason is required"))
	}
	if !s.EndsAt.After(s.StartsAt) || !s.EndsAt.After(now) {
		problems = append(problems, errors.New("ends must be after starts and in the future"))
	}
	if len(problems) > 0 {
		return record.Silence{}, fmt.Errorf("add silence: %w: %w", ErrInvalid, errors.Join(problems...))
	}
	s.ID, s.ExpiredBy, s.CreatedAt = 0, "", now
	if err := m.cfg.Store.CreateSilence(ctx, &s); err != nil {
		return record.Silence{}, fmt.Errorf("add silence: %w", err)
	}
	m.Wake()
	return s, nil
}

// ListSilences returns silences newest first; activeOnly keeps those in
// force now.
func (m *Manager) ListSilences(ctx context.Context, activeOnly bool) ([]record.Silence, error) {
	f := store.SilenceFilter{Limit: -1}
	if activeOnly {
		f.ActiveAt = m.cfg.Now()
	}
	return m.cfg.Store.ListSilences(ctx, f)
}

// ExpireSilence ends a silence now: store.ErrNotFound when there is none,
// store.ErrConflict when it has already ended.
func (m *Manager) ExpireSilence(ctx context.Context, id int64, by string) error {
	if err := m.cfg.Store.ExpireSilence(ctx, id, by, m.cfg.Now()); err != nil {
		return err
	}
	m.Wake()
	return nil
}

// LastTestFire returns when route last had a test-fire every channel
// took; ok is false when it never had one. The readiness gate's
// alert-test-fire rule reads it.
func (m *Manager) LastTestFire(ctx context.Context, route string) (at time.Time, ok bool, err error) {
	tfs, err := m.cfg.Store.ListTestFires(ctx, store.TestFireFilter{Route: route, OnlyOK: true, Limit: 1})
	if err != nil || len(tfs) == 0 {
		return time.Time{}, false, err
	}
	return tfs[0].At, true, nil
}
