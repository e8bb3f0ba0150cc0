package storesqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixture.dir != "" {
		_ = os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

// fixture is a database of 100,000 runs, built once per test binary and
// shared by the benchmarks that read it.
var fixture struct {
	once       sync.Once
	dir        string
	store      *storesqlite.Store
	backfillID int64
	err        error
}

const (
	fixtureRuns      = 100_000
	fixturePipelines = 20
	fixtureActive    = 60 // the newest runs are queued, waiting or running
	fixtureBackfill  = 500
	fixtureGenerated = fixtureRuns - fixtureBackfill // all but the backfill's
)

// fixtureBase is the start of the first scheduled interval.
var fixtureBase = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// fixtureStore returns the shared 100k-run store. Its runs: pipelines
// pipeline_00..19 in envs prod and staging, one hourly schedule run per
// interval, 2% manual runs and 2% failed runs among them, the newest
// fixtureActive not final, and in the middle a backfill of fixtureBackfill
// runs of pipeline_00.
func fixtureStore(b *testing.B) (*storesqlite.Store, int64) {
	b.Helper()
	fixture.once.Do(func() {
		fixture.dir, fixture.err = os.MkdirTemp("", "gantry-bench-")
		if fixture.err != nil {
			return
		}
		fixture.store, fixture.backfillID, fixture.err = buildFixture(context.Background(),
			filepath.Join(fixture.dir, "runs100k.db"))
	})
	if fixture.err != nil {
		b.Fatal(fixture.err)
	}
	return fixture.store, fixture.backfillID
}

func buildFixture(ctx context.Context, path string) (*storesqlite.Store, int64, error) {
	s, err := storesqlite.Open(ctx, path) // creates the schema
	if err != nil {
		return nil, 0, err
	}
	if err := s.Close(); err != nil {
		return nil, 0, err
	}
	db, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)")
	if err != nil {
		return nil, 0, err
	}
	defer db.Close()
	// Runs [from, to) of the numbering above, in one statement.
	insertN := func(from, to int) error {
		_, err := db.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT ?5 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?6)
			INSERT INTO runs (pipeline, env, revision, interval_start, interval_end,
				trigger_type, state, params, created_at, started_at, finished_at, error)
			SELECT printf('pipeline_%02d', i % ?1),
				CASE (i / ?1) % 2 WHEN 0 THEN 'prod' ELSE 'staging' END,
				'sha256:0123456789abcdef',
				?3 + (i / (?1 * 2)) * 3600000000,
				?3 + (i / (?1 * 2) + 1) * 3600000000,
				CASE WHEN (i / ?1) % 50 = 1 THEN 'manual' ELSE 'schedule' END,
				CASE WHEN i >= ?4 THEN (CASE i % 3 WHEN 0 THEN 'queued' WHEN 1 THEN 'waiting_upstream' ELSE 'running' END)
					WHEN i % 50 = 7 THEN 'failed' ELSE 'succeeded' END,
				'{"target":"prod_db"}',
				?3 + i * 36000000, ?3 + i * 36000000 + 1000, ?3 + i * 36000000 + 60000000, ?2
			FROM n`, fixturePipelines, "", fixtureBase.UnixMicro(), fixtureGenerated-fixtureActive, from, to)
		return err
	}
	half := fixtureGenerated / 2
	if err := insertN(0, half); err != nil {
		return nil, 0, fmt.Errorf("insert runs: %w", err)
	}
	if err := db.Close(); err != nil {
		return nil, 0, err
	}
	if s, err = storesqlite.Open(ctx, path); err != nil {
		return nil, 0, err
	}
	bf := &record.Backfill{Pipeline: "pipeline_00", Env: "prod", Parallel: 4, CreatedBy: "bench"}
	runs := make([]*record.Run, fixtureBackfill)
	for i := range runs {
		start := fixtureBase.Add(time.Duration(i) * time.Hour)
		runs[i] = &record.Run{Pipeline: "pipeline_00", Env: "prod", IntervalStart: start,
			IntervalEnd: start.Add(time.Hour), State: record.RunSucceeded}
	}
	bf.From, bf.To = runs[0].IntervalStart, runs[len(runs)-1].IntervalEnd
	if err := s.CreateBackfill(ctx, bf, runs, nil); err != nil {
		_ = s.Close()
		return nil, 0, err
	}
	_ = s.Close()
	if db, err = sql.Open("sqlite", path+"?_pragma=foreign_keys(1)"); err != nil {
		return nil, 0, err
	}
	if err := insertN(half, fixtureGenerated); err != nil {
		return nil, 0, fmt.Errorf("insert runs: %w", err)
	}
	if err := db.Close(); err != nil {
		return nil, 0, err
	}
	if s, err = storesqlite.Open(ctx, path); err != nil {
		return nil, 0, err
	}
	return s, bf.ID, nil
}

// BenchmarkListRuns100k lists a page of 50 runs from a table of 100,000,
// with the filters the server and CLI use.
func BenchmarkListRuns100k(b *testing.B) {
	s, backfillID := fixtureStore(b)
	active := []record.RunState{record.RunQueued, record.RunWaiting, record.RunRunning}
	for _, c := range []struct {
		name string
		f    store.RunFilter
		want int
	}{
		{"all", store.RunFilter{}, 50},
		{"pipeline", store.RunFilter{Pipeline: "pipeline_07"}, 50},
		{"pipeline_trigger_manual", store.RunFilter{Pipeline: "pipeline_07", Trigger: record.TriggerManual}, 50},
		{"trigger_manual", store.RunFilter{Trigger: record.TriggerManual}, 50},
		{"states_failed", store.RunFilter{States: []record.RunState{record.RunFailed}}, 50},
		{"states_active", store.RunFilter{States: active}, 50},
		{"states_active_no_limit", store.RunFilter{States: active, Limit: -1}, fixtureActive},
		{"pipeline_states_active", store.RunFilter{Pipeline: "pipeline_07", States: active}, fixtureActive / fixturePipelines},
		{"backfill", store.RunFilter{BackfillID: backfillID}, 50},
		{"before_id_mid", store.RunFilter{BeforeID: fixtureRuns / 2}, 50},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				runs, err := s.ListRuns(b.Context(), c.f)
				if err != nil {
					b.Fatal(err)
				}
				if len(runs) != c.want {
					b.Fatalf("%d runs, want %d", len(runs), c.want)
				}
			}
		})
	}
}

// BenchmarkFindCoveringRun100k looks for the run covering an hour, a day
// (no single run does) and an old hour, in the 100k-run table.
func BenchmarkFindCoveringRun100k(b *testing.B) {
	s, _ := fixtureStore(b)
	hours := fixtureGenerated / (fixturePipelines * 2)
	recent := fixtureBase.Add(time.Duration(hours-10) * time.Hour)
	for _, c := range []struct {
		name       string
		start, end time.Time
		found      bool
	}{
		{"recent_hour", recent, recent.Add(time.Hour), true},
		{"old_hour", fixtureBase.Add(5 * time.Hour), fixtureBase.Add(6 * time.Hour), true},
		{"recent_day_none", recent.Add(-23 * time.Hour), recent.Add(time.Hour), false},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, err := s.FindCoveringRun(b.Context(), "pipeline_03", "prod", c.start, c.end)
				if c.found && err != nil || !c.found && err == nil {
					b.Fatalf("found = %v, err %v", c.found, err)
				}
			}
		})
	}
}
