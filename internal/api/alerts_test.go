package api_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// fakeAlerts is an api.AlertService over a few fixed alerts and the
// silences added to it.
type fakeAlerts struct {
	mu       sync.Mutex
	silences []record.Silence
}

var fixtureAlert = record.Alert{
	ID: 4, Fingerprint: "9f2c", Name: "PipelineFailed", Kind: "failure", Pipeline: "orders", Env: "prod",
	Labels:      map[string]string{"alertname": "PipelineFailed", "pipeline": "orders", "env": "prod", "severity": "critical"},
	Annotations: map[string]string{"summary": "orders failed in prod"},
	State:       record.AlertFiring, StartsAt: t0, UpdatedAt: t0, RunID: 7,
}

var fixtureDelivery = record.AlertDelivery{
	ID: 11, GroupKey: "data-oncall{}", Channel: "pager", Type: "pagerduty", Kind: record.DeliveryFiring,
	Alerts: []record.SentAlert{{Fingerprint: "9f2c", State: record.AlertFiring}}, OK: true, Status: 202,
	Attempts: 2, At: t1, Duration: 1500 * time.Millisecond,
}

func (f *fakeAlerts) ListAlerts(_ context.Context, fl store.AlertFilter) ([]record.Alert, error) {
	if fl.State == record.AlertResolved {
		return nil, nil
	}
	return []record.Alert{fixtureAlert}, nil
}

func (f *fakeAlerts) GetAlert(_ context.Context, id int64) (record.Alert, []record.AlertDelivery, int64, error) {
	if id != fixtureAlert.ID {
		return record.Alert{}, nil, 0, fmt.Errorf("alert %d: %w", id, store.ErrNotFound)
	}
	return fixtureAlert, []record.AlertDelivery{fixtureDelivery}, 3, nil
}

func (f *fakeAlerts) TestFire(_ context.Context, route, actor string) (record.TestFire, []record.AlertDelivery, error) {
	if route != "data-oncall" {
		return record.TestFire{}, nil, fmt.Errorf("route %q: %w", route, store.ErrNotFound)
	}
	d := fixtureDelivery
	d.Kind, d.GroupKey, d.TestFireID = record.DeliveryTest, "", 2
	return record.TestFire{ID: 2, Route: route, Actor: actor, At: t1, OK: true, Channels: []string{"pager"}},
		[]record.AlertDelivery{d}, nil
}

func (f *fakeAlerts) LastTestFire(_ context.Context, route string) (time.Time, bool, error) {
	if route == "data-oncall" {
		return t1, true, nil
	}
	return time.Time{}, false, nil
}

func (f *fakeAlerts) AddSilence(_ context.Context, s record.Silence) (record.Silence, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s.ID = int64(len(f.silences) + 1)
	s.CreatedAt = s.StartsAt
	f.silences = append(f.silences, s)
	return s, nil
}

func (f *fakeAlerts) ListSilences(_ context.Context, fl store.SilenceFilter) ([]record.Silence, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []record.Silence
	for _, s := range f.silences {
		if fl.ActiveAt.IsZero() || s.Active(fl.ActiveAt) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (f *fakeAlerts) ExpireSilence(_ context.Context, id int64, actor string) (record.Silence, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id < 1 || int(id) > len(f.silences) {
		return record.Silence{}, fmt.Errorf("silence %d: %w", id, store.ErrNotFound)
	}
	s := &f.silences[id-1]
	s.EndsAt, s.ExpiredBy = time.Now(), actor
	return *s, nil
}

// A silence that matches nothing in particular, lasts too long or gives no
// reason is refused, and nothing is stored.
func TestSilenceRequestsChecked(t *testing.T) {
	t.Parallel()
	alerts := &fakeAlerts{}
	srv := newServerWith(t, populated(), alerts)
	for _, tc := range []struct{ body, field string }{
		{`{"matchers":[],"duration_seconds":60,"reason":"x"}`, "matchers"},
		{`{"matchers":[{"name":"pipe-line","op":"=","value":"a"}],"duration_seconds":60,"reason":"x"}`, "matchers"},
		{`{"matchers":[{"name":"pipeline","op":"~","value":"a"}],"duration_seconds":60,"reason":"x"}`, "matchers"},
		{`{"matchers":[{"name":"pipeline","op":"=~","value":"("}],"duration_seconds":60,"reason":"x"}`, "matchers"},
		{`{"matchers":[{"name":"pipeline","op":"=","value":"a"}],"duration_seconds":0,"reason":"x"}`, "duration_seconds"},
		{`{"matchers":[{"name":"pipeline","op":"=","value":"a"}],"duration_seconds":99999999,"reason":"x"}`, "duration_seconds"},
		{`{"matchers":[{"name":"pipeline","op":"=","value":"a"}],"duration_seconds":60,"reason":""}`, "reason"},
	} {
		resp := send(t, srv, "POST", "/api/v1/silences", "application/json", tc.body)
		if resp.status != 400 {
			t.Errorf("%s: status %d, want 400", tc.body, resp.status)
			continue
		}
		if e := decodeError(t, resp); e.Field != tc.field {
			t.Errorf("%s: field %q, want %q (%s)", tc.body, e.Field, tc.field, e.Message)
		}
	}
	if ss, _ := alerts.ListSilences(t.Context(), store.SilenceFilter{}); len(ss) != 0 {
		t.Errorf("refused silences were stored: %+v", ss)
	}
	resp := send(t, srv, "POST", "/api/v1/silences", "application/json",
		`{"matchers":[{"name":"pipeline","op":"=","value":"orders"}],"duration_seconds":7200,"reason":"vendor outage"}`)
	if resp.status != 201 || !strings.Contains(resp.body, `"reason":"vendor outage"`) {
		t.Errorf("good silence: %d %s", resp.status, resp.body)
	}
}

var _ api.AlertService = (*fakeAlerts)(nil)
