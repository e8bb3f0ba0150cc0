package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// alertCases test the AlertStore half of a driver.
var alertCases = []testCase{
	{"AlertSaveAndGet", testAlertSaveAndGet},
	{"AlertRefireReusesRow", testAlertRefireReusesRow},
	{"AlertList", testAlertList},
	{"AlertGroupRoundTrip", testAlertGroupRoundTrip},
	{"AlertDeliveriesByFingerprint", testAlertDeliveriesByFingerprint},
	{"SilenceLifecycle", testSilenceLifecycle},
	{"TestFireRoundTrip", testTestFireRoundTrip},
	{"PruneAlerts", testPruneAlerts},
}

func storedAlert(a record.Alert) record.Alert {
	a.StartsAt, a.EndsAt, a.UpdatedAt = stored(a.StartsAt), stored(a.EndsAt), stored(a.UpdatedAt)
	return a
}

func firingAlert(fp, pipeline, env string, d time.Duration) record.Alert {
	return record.Alert{
		Fingerprint: fp, Name: "RunFailed", Kind: "failure", Pipeline: pipeline, Env: env,
		Labels:      map[string]string{"alertname": "RunFailed", "pipeline": pipeline, "env": env},
		Annotations: map[string]string{"summary": "load failed", "run_url": "https://g/runs/7"},
		State:       record.AlertFiring, StartsAt: at(d), UpdatedAt: at(d), RunID: 7,
	}
}

func testAlertSaveAndGet(t *testing.T, s store.Store) {
	a := firingAlert("fp1", "orders", "prod", 0)
	must(t, s.SaveAlert(ctx(t), &a))
	if a.ID == 0 {
		t.Fatal("SaveAlert did not set the ID")
	}
	got, err := s.GetAlert(ctx(t), a.ID)
	must(t, err)
	equal(t, "by id", got, storedAlert(a))
	checkUTC(t, "alert", got.StartsAt, got.UpdatedAt)
	got, err = s.GetAlertByFingerprint(ctx(t), "fp1")
	must(t, err)
	equal(t, "by fingerprint", got, storedAlert(a))

	if _, err := s.GetAlert(ctx(t), a.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetAlert(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.GetAlertByFingerprint(ctx(t), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetAlertByFingerprint(missing) = %v, want ErrNotFound", err)
	}

	// Empty maps and a zero UpdatedAt: defaults, and nil back.
	b := record.Alert{Fingerprint: "fp2", Name: "DeadLetters", State: record.AlertFiring}
	before := time.Now().Add(-time.Second)
	must(t, s.SaveAlert(ctx(t), &b))
	got, err = s.GetAlert(ctx(t), b.ID)
	must(t, err)
	if got.UpdatedAt.Before(before) || !got.StartsAt.Equal(got.UpdatedAt) {
		t.Errorf("defaults: UpdatedAt %v StartsAt %v, want now and equal", got.UpdatedAt, got.StartsAt)
	}
	if got.Labels != nil || got.Annotations != nil || got.RunID != 0 {
		t.Errorf("empty fields came back as %+v", got)
	}
}

func testAlertRefireReusesRow(t *testing.T, s store.Store) {
	a := firingAlert("fp", "orders", "prod", 0)
	must(t, s.SaveAlert(ctx(t), &a))
	id := a.ID
	a.State, a.EndsAt, a.UpdatedAt = record.AlertResolved, at(time.Hour), at(time.Hour)
	must(t, s.SaveAlert(ctx(t), &a))
	a.State, a.StartsAt, a.EndsAt, a.UpdatedAt = record.AlertFiring, at(2*time.Hour), time.Time{}, at(2*time.Hour)
	a.Annotations = map[string]string{"summary": "again"}
	must(t, s.SaveAlert(ctx(t), &a))
	if a.ID != id {
		t.Errorf("refire got ID %d, want the same row %d", a.ID, id)
	}
	got, err := s.GetAlertByFingerprint(ctx(t), "fp")
	must(t, err)
	equal(t, "refired", got, storedAlert(a))
}

func testAlertList(t *testing.T, s store.Store) {
	var all []record.Alert
	for i, x := range []struct{ fp, pipeline, env, kind string }{
		{"a", "orders", "prod", "failure"}, {"b", "orders", "staging", "sla"},
		{"c", "users", "prod", "failure"}, {"d", "orders", "prod", "freshness"},
	} {
		a := firingAlert(x.fp, x.pipeline, x.env, time.Duration(i)*time.Minute)
		a.Kind = x.kind
		if x.fp == "c" {
			a.State, a.EndsAt = record.AlertResolved, at(time.Hour)
		}
		must(t, s.SaveAlert(ctx(t), &a))
		all = append(all, a)
	}
	fps := func(as []record.Alert) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Fingerprint)
		}
		return out
	}
	for name, c := range map[string]struct {
		f    store.AlertFilter
		want []string
	}{
		"all, newest update first": {store.AlertFilter{}, []string{"d", "c", "b", "a"}},
		"firing":                   {store.AlertFilter{State: record.AlertFiring}, []string{"d", "b", "a"}},
		"pipeline and env":         {store.AlertFilter{Pipeline: "orders", Env: "prod"}, []string{"d", "a"}},
		"kinds":                    {store.AlertFilter{Kinds: []string{"sla", "freshness"}}, []string{"d", "b"}},
		"name":                     {store.AlertFilter{Name: "RunFailed", Limit: 2}, []string{"d", "c"}},
	} {
		got, err := s.ListAlerts(ctx(t), c.f)
		must(t, err)
		equal(t, name, fps(got), c.want)
	}
	got, err := s.ListAlerts(ctx(t), store.AlertFilter{Pipeline: "users"})
	must(t, err)
	equal(t, "full record", got, []record.Alert{storedAlert(all[2])})
}

func testAlertGroupRoundTrip(t *testing.T, s store.Store) {
	g := record.AlertGroup{
		Key: "data-oncall/0{pipeline=orders}", Route: "data-oncall/0",
		Labels: map[string]string{"pipeline": "orders"}, CreatedAt: at(0), NextFlushAt: at(30 * time.Second),
		Channels: []record.ChannelState{{Channel: "pd", LastNotifiedAt: at(time.Second),
			Sent: []record.SentAlert{{Fingerprint: "fp1", State: record.AlertFiring}}}},
	}
	d := &record.AlertDelivery{Channel: "pd", Type: "pagerduty", Kind: record.DeliveryFiring,
		Alerts: []record.SentAlert{{Fingerprint: "fp1", State: record.AlertFiring}}, OK: true, Status: 202,
		Attempts: 1, At: at(time.Second), Duration: 1500 * time.Microsecond}
	must(t, s.SaveAlertGroup(ctx(t), &g, []*record.AlertDelivery{d}))
	if d.ID == 0 || d.GroupKey != g.Key {
		t.Errorf("delivery after save: %+v, want an ID and the group key", d)
	}
	gs, err := s.ListAlertGroups(ctx(t))
	must(t, err)
	want := g
	want.CreatedAt, want.NextFlushAt = stored(g.CreatedAt), stored(g.NextFlushAt)
	want.Channels = []record.ChannelState{{Channel: "pd", LastNotifiedAt: stored(at(time.Second)), Sent: g.Channels[0].Sent}}
	equal(t, "groups", gs, []record.AlertGroup{want})

	// Overwrite: the new state replaces the old.
	g.Channels = nil
	g.NextFlushAt = at(5 * time.Minute)
	must(t, s.SaveAlertGroup(ctx(t), &g, nil))
	gs, err = s.ListAlertGroups(ctx(t))
	must(t, err)
	if len(gs) != 1 || gs[0].Channels != nil || !gs[0].NextFlushAt.Equal(stored(at(5*time.Minute))) {
		t.Errorf("after overwrite: %+v", gs)
	}
	must(t, s.DeleteAlertGroup(ctx(t), g.Key))
	must(t, s.DeleteAlertGroup(ctx(t), g.Key)) // missing: no error
	gs, err = s.ListAlertGroups(ctx(t))
	must(t, err)
	if len(gs) != 0 {
		t.Errorf("after delete: %+v", gs)
	}
	ds, err := s.ListAlertDeliveries(ctx(t), store.AlertDeliveryFilter{GroupKey: g.Key})
	must(t, err)
	wantD := *d
	wantD.At = stored(d.At)
	equal(t, "deliveries outlive their group", ds, []record.AlertDelivery{wantD})
}

func testAlertDeliveriesByFingerprint(t *testing.T, s store.Store) {
	g := record.AlertGroup{Key: "k", Route: "r", CreatedAt: at(0)}
	sent := func(fps ...string) []record.SentAlert {
		var out []record.SentAlert
		for _, fp := range fps {
			out = append(out, record.SentAlert{Fingerprint: fp, State: record.AlertFiring})
		}
		return out
	}
	d1 := &record.AlertDelivery{Channel: "slack", Kind: record.DeliveryFiring, Alerts: sent("a", "b"), OK: true, At: at(1)}
	d2 := &record.AlertDelivery{Channel: "pd", Kind: record.DeliveryFiring, Alerts: sent("b"), OK: false,
		Error: "503 Service Unavailable", Retryable: true, Attempts: 3, Status: 503, At: at(2)}
	must(t, s.SaveAlertGroup(ctx(t), &g, []*record.AlertDelivery{d1, d2}))
	ids := func(f store.AlertDeliveryFilter) []int64 {
		t.Helper()
		ds, err := s.ListAlertDeliveries(ctx(t), f)
		must(t, err)
		var out []int64
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	equal(t, "fingerprint a", ids(store.AlertDeliveryFilter{Fingerprint: "a"}), []int64{d1.ID})
	equal(t, "fingerprint b", ids(store.AlertDeliveryFilter{Fingerprint: "b"}), []int64{d2.ID, d1.ID})
	equal(t, "channel", ids(store.AlertDeliveryFilter{Fingerprint: "b", Channel: "pd"}), []int64{d2.ID})
	equal(t, "limit", ids(store.AlertDeliveryFilter{Limit: 1}), []int64{d2.ID})
	ds, err := s.ListAlertDeliveries(ctx(t), store.AlertDeliveryFilter{Channel: "pd"})
	must(t, err)
	want := *d2
	want.At = stored(d2.At)
	equal(t, "failed delivery", ds, []record.AlertDelivery{want})
}

func testSilenceLifecycle(t *testing.T, s store.Store) {
	sl := record.Silence{
		Matchers:  []record.Matcher{{Name: "pipeline", Op: record.MatchEqual, Value: "orders"}, {Name: "env", Op: record.MatchRegexp, Value: "prod|staging"}},
		CreatedBy: "alice", Reason: "migration", StartsAt: at(0), EndsAt: at(2 * time.Hour), CreatedAt: at(0),
	}
	must(t, s.CreateSilence(ctx(t), &sl))
	got, err := s.GetSilence(ctx(t), sl.ID)
	must(t, err)
	want := sl
	want.StartsAt, want.EndsAt, want.CreatedAt = stored(sl.StartsAt), stored(sl.EndsAt), stored(sl.CreatedAt)
	equal(t, "silence", got, want)
	later := record.Silence{Matchers: []record.Matcher{{Name: "alertname", Op: "=", Value: "X"}},
		StartsAt: at(3 * time.Hour), EndsAt: at(4 * time.Hour)}
	must(t, s.CreateSilence(ctx(t), &later))

	active := func(t0 time.Time) []int64 {
		ss, err := s.ListSilences(ctx(t), store.SilenceFilter{ActiveAt: t0})
		must(t, err)
		var out []int64
		for _, x := range ss {
			out = append(out, x.ID)
		}
		return out
	}
	equal(t, "active at 1h", active(at(time.Hour)), []int64{sl.ID})
	equal(t, "active at 3h30", active(at(3*time.Hour+30*time.Minute)), []int64{later.ID})
	equal(t, "active at its end", active(at(2*time.Hour)), []int64(nil))
	all, err := s.ListSilences(ctx(t), store.SilenceFilter{})
	must(t, err)
	if len(all) != 2 || all[0].ID != later.ID {
		t.Errorf("all silences newest first: %+v", all)
	}

	must(t, s.ExpireSilence(ctx(t), sl.ID, "bob", at(time.Hour)))
	got, err = s.GetSilence(ctx(t), sl.ID)
	must(t, err)
	if !got.EndsAt.Equal(stored(at(time.Hour))) || got.ExpiredBy != "bob" {
		t.Errorf("expired silence: %+v", got)
	}
	equal(t, "active after expiry", active(at(time.Hour)), []int64(nil))
	if err := s.ExpireSilence(ctx(t), sl.ID, "bob", at(90*time.Minute)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("expire twice = %v, want ErrConflict", err)
	}
	if err := s.ExpireSilence(ctx(t), sl.ID+100, "bob", at(0)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expire missing = %v, want ErrNotFound", err)
	}
	// A silence expired before it started ends up empty, not inverted.
	must(t, s.ExpireSilence(ctx(t), later.ID, "bob", at(time.Hour)))
	got, err = s.GetSilence(ctx(t), later.ID)
	must(t, err)
	if got.StartsAt.After(got.EndsAt) {
		t.Errorf("expired future silence: starts %v after ends %v", got.StartsAt, got.EndsAt)
	}
	if _, err := s.GetSilence(ctx(t), later.ID+100); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSilence(missing) = %v, want ErrNotFound", err)
	}
}

func testTestFireRoundTrip(t *testing.T, s store.Store) {
	bad := record.TestFire{Route: "data-oncall", Actor: "alice", At: at(0), OK: false,
		Channels: []string{"slack", "pd"}, Failed: []string{"pd"}}
	d1 := &record.AlertDelivery{Channel: "slack", Type: "slack", Kind: record.DeliveryTest, OK: true, Attempts: 1, At: at(0)}
	d2 := &record.AlertDelivery{Channel: "pd", Type: "pagerduty", Kind: record.DeliveryTest, Attempts: 3, Error: "connection refused", At: at(0)}
	must(t, s.CreateTestFire(ctx(t), &bad, []*record.AlertDelivery{d1, d2}))
	good := record.TestFire{Route: "data-oncall", Actor: "bob", At: at(time.Hour), OK: true, Channels: []string{"slack"}}
	must(t, s.CreateTestFire(ctx(t), &good, nil))
	other := record.TestFire{Route: "web", At: at(2 * time.Hour), OK: true, Channels: []string{"hook"}}
	must(t, s.CreateTestFire(ctx(t), &other, nil))
	if bad.ID == 0 || d1.TestFireID != bad.ID || d2.ID == 0 {
		t.Fatalf("IDs not set: %+v %+v", bad, d1)
	}

	got, err := s.ListTestFires(ctx(t), store.TestFireFilter{Route: "data-oncall"})
	must(t, err)
	storedTF := func(tf record.TestFire) record.TestFire { tf.At = stored(tf.At); return tf }
	equal(t, "route's test-fires", got, []record.TestFire{storedTF(good), storedTF(bad)})
	got, err = s.ListTestFires(ctx(t), store.TestFireFilter{Route: "data-oncall", OnlyOK: true, Limit: 1})
	must(t, err)
	equal(t, "last good", got, []record.TestFire{storedTF(good)})

	ds, err := s.ListAlertDeliveries(ctx(t), store.AlertDeliveryFilter{TestFireID: bad.ID})
	must(t, err)
	w1, w2 := *d1, *d2
	w1.At, w2.At = stored(d1.At), stored(d2.At)
	equal(t, "test-fire deliveries", ds, []record.AlertDelivery{w2, w1})
}

// PruneAlerts deletes what ended before the cut and keeps what still
// matters: firing alerts, recent history, groups and test-fires.
func testPruneAlerts(t *testing.T, s store.Store) {
	cut := at(10 * time.Hour)
	old := firingAlert("old", "orders", "prod", 0)
	old.State, old.EndsAt = record.AlertResolved, at(time.Hour)
	recent := firingAlert("recent", "orders", "prod", 0)
	recent.State, recent.EndsAt = record.AlertResolved, at(11*time.Hour)
	firing := firingAlert("firing", "orders", "prod", 0) // started long ago, still firing
	for _, a := range []*record.Alert{&old, &recent, &firing} {
		must(t, s.SaveAlert(ctx(t), a))
	}
	g := record.AlertGroup{Key: "k", Route: "r", CreatedAt: at(0)}
	oldD := &record.AlertDelivery{Channel: "slack", Kind: record.DeliveryFiring, OK: true, At: at(2 * time.Hour),
		Alerts: []record.SentAlert{{Fingerprint: "old", State: record.AlertFiring}}}
	newD := &record.AlertDelivery{Channel: "slack", Kind: record.DeliveryResolved, OK: true, At: at(12 * time.Hour),
		Alerts: []record.SentAlert{{Fingerprint: "recent", State: record.AlertResolved}}}
	must(t, s.SaveAlertGroup(ctx(t), &g, []*record.AlertDelivery{oldD, newD}))
	tf := record.TestFire{Route: "data-oncall", At: at(time.Hour), OK: true, Channels: []string{"slack"}}
	tfD := &record.AlertDelivery{Channel: "slack", Kind: record.DeliveryTest, OK: true, At: at(time.Hour)}
	must(t, s.CreateTestFire(ctx(t), &tf, []*record.AlertDelivery{tfD}))
	ended := record.Silence{Matchers: []record.Matcher{{Name: "a", Op: "=", Value: "b"}}, CreatedBy: "x", Reason: "r",
		StartsAt: at(0), EndsAt: at(time.Hour)}
	active := ended
	active.EndsAt = at(20 * time.Hour)
	must(t, s.CreateSilence(ctx(t), &ended))
	must(t, s.CreateSilence(ctx(t), &active))

	p, err := s.PruneAlerts(ctx(t), cut)
	must(t, err)
	equal(t, "pruned", p, store.Pruned{Alerts: 1, Deliveries: 1, Silences: 1})
	as, err := s.ListAlerts(ctx(t), store.AlertFilter{Limit: -1})
	must(t, err)
	var fps []string
	for _, a := range as {
		fps = append(fps, a.Fingerprint)
	}
	if len(fps) != 2 || !slices.Contains(fps, "recent") || !slices.Contains(fps, "firing") {
		t.Errorf("alerts after pruning = %v, want recent and firing", fps)
	}
	ds, err := s.ListAlertDeliveries(ctx(t), store.AlertDeliveryFilter{Limit: -1})
	must(t, err)
	if len(ds) != 2 {
		t.Errorf("deliveries after pruning = %+v, want the recent one and the test-fire's", ds)
	}
	if ds, _ := s.ListAlertDeliveries(ctx(t), store.AlertDeliveryFilter{Fingerprint: "old"}); len(ds) != 0 {
		t.Errorf("an old alert's deliveries remain: %+v", ds)
	}
	tfs, err := s.ListTestFires(ctx(t), store.TestFireFilter{})
	must(t, err)
	if len(tfs) != 1 {
		t.Errorf("test-fires after pruning = %+v, want kept", tfs)
	}
	ss, err := s.ListSilences(ctx(t), store.SilenceFilter{Limit: -1})
	must(t, err)
	if len(ss) != 1 || ss[0].ID != active.ID {
		t.Errorf("silences after pruning = %+v, want the active one", ss)
	}
	if gs, _ := s.ListAlertGroups(ctx(t)); len(gs) != 1 {
		t.Errorf("groups after pruning = %+v, want kept", gs)
	}
}
