package readiness_test

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/readiness"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storepg"
	"github.com/gantryhq/gantry/internal/store/storepg/pgtest"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

const projectYAML = `project: readiness
environments:
  staging: {staging: true}
  prod:
    production: true
    approval: {required: 1}
alerts:
  channels:
    hook: {type: webhook, url: "http://127.0.0.1:9/", secret: hook_key}
  routes:
    data-oncall: {channels: [hook]}
`

const pipelineYAML = `pipeline: orders
owner: data-platform
schedule: {cron: "0 2 * * *", timezone: UTC}
defaults:
  retries: {attempts: 2, initial: 1s}
  timeout: 10m
  resources: {memory: 512Mi}
tasks:
  - id: extract
    run: ./extract.sh
  - id: load
    needs: [extract]
    run: ./load.sh
sla: {deadline: "06:00", freshness: 30h}
monitoring:
  row_counts: {task: load, min: 100}
alerts: {route: data-oncall}
runbook: runbooks/orders.md
rollback: {on_first_run_failure: previous_revision}
`

const runbookMD = "# orders\n\n## Backfill missed intervals\n\n```sh\ngantry backfill orders --from \"<FROM>\" --to '<TO>' --parallel 2\n```\n"

// now is the instant a fixture's assessments start at: midday, after the
// 06:00 deadline of the interval that ended at 02:00.
var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// without leaves a part of the ready history out of a fixture.
type without int

const (
	noTestFire without = iota + 1
	noStaging
)

// fixture is a real SQLite store with the history of a pipeline that is
// ready in prod: a staging run of the whole DAG, three days active, every
// interval on time with rows and modest memory, and a test-fire.
type fixture struct {
	t        *testing.T
	st       store.Store
	project  string
	pipeline string
	runbook  []byte
	gate     *check.Report
	rev      record.Revision
	now      time.Time // when assess judges
}

// drivers open a fresh store of each kind for a test.
var drivers = []struct {
	name string
	open func(t *testing.T) (store.Store, error)
}{
	{"sqlite", func(t *testing.T) (store.Store, error) {
		return storesqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gantry.db"))
	}},
	{"postgres", func(t *testing.T) (store.Store, error) {
		return storepg.Open(t.Context(), pgtest.SchemaURL(t, "gantry_readiness_"))
	}},
}

func newFixture(t *testing.T, leave ...without) *fixture {
	t.Helper()
	return newFixtureOn(t, drivers[0].open, leave...)
}

func newFixtureOn(t *testing.T, open func(t *testing.T) (store.Store, error), leave ...without) *fixture {
	t.Helper()
	st, err := open(t)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, st: st, project: projectYAML, pipeline: pipelineYAML, runbook: []byte(runbookMD), gate: &check.Report{}, now: now}
	f.rev = f.revision("a1", now.Add(-96*time.Hour))
	if !slices.Contains(leave, noStaging) {
		f.stage(now.Add(-95 * time.Hour))
	}
	f.activate(f.rev.Hash, now.Add(-72*time.Hour))
	for day := 3; day >= 1; day-- {
		f.interval(day, 3*time.Hour, 200<<20, "1000") // done at 05:00, an hour before the deadline
	}
	if !slices.Contains(leave, noTestFire) {
		f.testFire("hook", now.Add(-24*time.Hour), true)
	}
	return f
}

// stage records a succeeded staging run of the fixture's revision.
func (f *fixture) stage(finished time.Time) {
	f.t.Helper()
	run := f.run("staging", record.TriggerStaging, finished.Add(-24*time.Hour), finished, 200<<20, "1000")
	f.must(f.st.SetStagingRun(f.t.Context(), f.rev.Hash, run.ID, record.RunSucceeded, nil))
}

// nextDay moves the fixture's clock a day on.
func (f *fixture) nextDay() { f.now = f.now.Add(24 * time.Hour) }

// newestRows rewrites the rows the newest prod run's load reported.
func (f *fixture) newestRows(rows string) {
	f.t.Helper()
	runs, err := f.st.ListRuns(f.t.Context(), store.RunFilter{Pipeline: "orders", Env: ptr("prod"), Limit: 1})
	f.must(err)
	atts, err := f.st.ListAttempts(f.t.Context(), runs[0].ID, "load")
	f.must(err)
	a := atts[0]
	a.Outputs = []record.Output{{Key: "rows", Value: rows}}
	f.must(f.st.Apply(f.t.Context(), &store.Batch{Update: []*record.TaskAttempt{&a}}))
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// revision stores a revision of orders.
func (f *fixture) revision(hash string, at time.Time) record.Revision {
	f.t.Helper()
	sum := sha256.Sum256([]byte("x"))
	rev := record.Revision{Hash: strings.Repeat(hash, 32), Pipeline: "orders", CreatedBy: "alice", CreatedAt: at,
		Files: []record.RevisionFile{{Path: "pipelines/orders.yaml", Size: 1, SHA256: hex.EncodeToString(sum[:])}}}
	if _, err := f.st.CreateRevision(f.t.Context(), rev, map[string][]byte{"pipelines/orders.yaml": []byte("x")}); err != nil {
		f.t.Fatal(err)
	}
	return rev
}

// activate makes hash the active deployment of orders in prod at at.
func (f *fixture) activate(hash string, at time.Time) {
	f.t.Helper()
	_, err := f.st.ActivateDeployment(f.t.Context(), store.Activation{At: at, New: &record.Deployment{
		Pipeline: "orders", Env: "prod", Revision: hash, State: record.DeploymentPending, Gates: []string{"check"},
		CreatedBy: "alice", CreatedAt: at}})
	f.must(err)
}

// interval records the prod run of the interval ending at 02:00 daysAgo-1
// days before today (1: the newest due), finished took after its end,
// with load's peak memory and rows.
func (f *fixture) interval(daysAgo int, took time.Duration, peak int64, rows string) record.Run {
	end := time.Date(f.now.Year(), f.now.Month(), f.now.Day()-daysAgo+1, 2, 0, 0, 0, time.UTC)
	return f.run("prod", record.TriggerSchedule, end.Add(-24*time.Hour), end.Add(took), peak, rows)
}

// run records a succeeded run of extract and load for [start, start+24h)
// that finished at finished.
func (f *fixture) run(env string, trig record.Trigger, start, finished time.Time, peak int64, rows string) record.Run {
	f.t.Helper()
	r := record.Run{Pipeline: "orders", Env: env, Revision: f.rev.Hash, IntervalStart: start, IntervalEnd: start.Add(24 * time.Hour),
		Trigger: trig, State: record.RunQueued, CreatedAt: start}
	f.must(f.st.CreateRun(f.t.Context(), &r, []string{"extract", "load"}))
	began := finished.Add(-10 * time.Minute)
	r.State, r.StartedAt, r.FinishedAt = record.RunSucceeded, began, finished
	b := &store.Batch{Run: &r}
	for _, task := range []string{"extract", "load"} {
		b.Tasks = append(b.Tasks, record.RunTask{RunID: r.ID, Task: task, State: record.TaskSucceeded, Attempts: 1, UpdatedAt: finished})
		a := &record.TaskAttempt{RunID: r.ID, Task: task, Attempt: 1, State: record.TaskSucceeded, QueuedAt: began,
			StartedAt: began, FinishedAt: finished, PeakMemory: peak / 2, CPUTime: 2 * time.Minute}
		if task == "load" {
			a.PeakMemory = peak
			a.Outputs = []record.Output{{Key: "rows", Value: rows}}
		}
		b.Insert = append(b.Insert, a)
	}
	f.must(f.st.Apply(f.t.Context(), b))
	return r
}

// oom records a load attempt killed for memory in the newest prod run.
func (f *fixture) oom() {
	f.t.Helper()
	runs, err := f.st.ListRuns(f.t.Context(), store.RunFilter{Pipeline: "orders", Env: ptr("prod"), Limit: 1})
	f.must(err)
	a := &record.TaskAttempt{RunID: runs[0].ID, Task: "load", Attempt: 2, State: record.TaskMemoryExceeded,
		StartedAt: runs[0].StartedAt, FinishedAt: runs[0].FinishedAt, PeakMemory: 512 << 20, Error: "memory limit 512Mi exceeded"}
	f.must(f.st.Apply(f.t.Context(), &store.Batch{Insert: []*record.TaskAttempt{a}}))
}

func (f *fixture) testFire(channel string, at time.Time, ok bool) {
	f.t.Helper()
	tf := &record.TestFire{Route: "data-oncall", Actor: "sre-sam", At: at, OK: ok, Channels: []string{channel}}
	d := &record.AlertDelivery{Channel: channel, Type: "webhook", Kind: record.DeliveryTest, OK: ok, Status: 200, Attempts: 1, At: at}
	if !ok {
		tf.Failed, d.Status, d.Error = []string{channel}, 500, "server error"
	}
	f.must(f.st.CreateTestFire(f.t.Context(), tf, []*record.AlertDelivery{d}))
}

func (f *fixture) assess() *readiness.Report {
	f.t.Helper()
	proj, err := spec.ParseProject("gantry.yaml", []byte(f.project))
	f.must(err)
	p, err := spec.ParsePipeline("pipelines/orders.yaml", []byte(f.pipeline))
	f.must(err)
	rev, err := f.st.GetRevision(f.t.Context(), f.rev.Hash)
	f.must(err)
	r, err := readiness.Assess(f.t.Context(), f.st, readiness.Input{Project: proj, Pipeline: p, Env: "prod", Revision: rev,
		Subject: "test", Gate: f.gate, Runbook: f.runbook, Now: f.now})
	f.must(err)
	return r
}

func ptr[T any](v T) *T { return &v }
