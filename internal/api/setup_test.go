package api_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/api/apiclient"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// syncBuffer is a log sink the handler and the test share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type testServer struct {
	*httptest.Server
	client *apiclient.Client
	log    *syncBuffer
}

// newServer serves svc through the real handler, with a metrics handler.
func newServer(t *testing.T, svc api.Service) *testServer {
	t.Helper()
	return newServerWith(t, svc, &fakeAlerts{})
}

// newServerWith serves svc and alerts through the real handler.
func newServerWith(t *testing.T, svc api.Service, alerts api.AlertService) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write([]byte("gantry_up 1\n"))
	})
	h := api.NewHandler(svc, api.Options{
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Metrics: metrics,
		Alerts:  alerts,
		Cluster: fakeCluster{},
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c := apiclient.New(srv.URL+"/", srv.Client())
	c.User = "alice"
	return &testServer{Server: srv, client: c, log: logs}
}

// A zone that is not UTC, to show the API converts.
var cest = time.FixedZone("CEST", 2*60*60)

var (
	t0 = time.Date(2024, 5, 1, 2, 0, 0, 0, cest) // 2024-05-01T00:00:00Z
	t1 = t0.Add(24 * time.Hour)
)

func fixtureRun(id int64) record.Run {
	return record.Run{
		ID: id, Pipeline: "orders", Env: "prod", Revision: "abc123",
		IntervalStart: t0, IntervalEnd: t1, Trigger: record.TriggerManual,
		State: record.RunFailed, Params: map[string]string{"region": "eu"},
		CreatedAt: t0, StartedAt: t0.Add(time.Minute), FinishedAt: t0.Add(2 * time.Minute),
		Error: "task load failed", BackfillID: 9,
	}
}

func wantRun(id int64) api.RunView {
	return api.RunView{
		ID: id, Pipeline: "orders", Env: "prod", Revision: "abc123",
		IntervalStart: t0.UTC(), IntervalEnd: t1.UTC(), Trigger: record.TriggerManual,
		State: record.RunFailed, Params: map[string]string{"region": "eu"},
		CreatedAt: t0.UTC(), StartedAt: t0.Add(time.Minute).UTC(), FinishedAt: t0.Add(2 * time.Minute).UTC(),
		Error: "task load failed", BackfillID: 9,
	}
}

var fixtureTasks = []record.RunTask{
	{RunID: 7, Task: "extract", State: record.TaskSucceeded, Attempts: 1, UpdatedAt: t0},
	{RunID: 7, Task: "load", State: record.TaskRetrying, Attempts: 2, NextAttempt: t1, UpdatedAt: t0},
}

var fixtureAttempt = record.TaskAttempt{
	ID: 41, RunID: 7, Task: "load", Attempt: 2, State: record.TaskFailed,
	QueuedAt: t0, StartedAt: t0, FinishedAt: t0.Add(90 * time.Second), PID: 4242,
	ExitCode: -1, Signal: "killed", PeakMemory: 1 << 30, CPUTime: 1500 * time.Millisecond,
	LogPath: "/var/log/gantry/41.log", Outputs: []record.Output{{Key: "rows", Value: "12"}},
	OutputErrors: []string{`line 2: "oops <redacted>": want key=value`},
	Error:        "killed after 90s",
}

var wantAttempt = api.AttemptView{
	ID: 41, RunID: 7, Task: "load", Attempt: 2, State: record.TaskFailed,
	QueuedAt: t0.UTC(), StartedAt: t0.UTC(), FinishedAt: t0.Add(90 * time.Second).UTC(), PID: 4242,
	ExitCode: -1, Signal: "killed", PeakMemoryBytes: 1 << 30, CPUTimeSeconds: 1.5,
	LogPath: "/var/log/gantry/41.log", Outputs: []api.OutputView{{Key: "rows", Value: "12"}},
	OutputErrors: []string{`line 2: "oops <redacted>": want key=value`},
	Error:        "killed after 90s",
}

var fixtureDeadLetter = record.DeadLetter{
	ID: 3, RunID: 7, Pipeline: "orders", Task: "load", AttemptID: 41, Attempts: 3,
	Error: "exit 1", CreatedAt: t0, ReplayedAt: t1, ReplayedBy: "bob",
}

var wantDeadLetter = api.DeadLetterView{
	ID: 3, RunID: 7, Pipeline: "orders", Task: "load", AttemptID: 41, Attempts: 3,
	Error: "exit 1", CreatedAt: t0.UTC(), ReplayedAt: t1.UTC(), ReplayedBy: "bob",
}

var fixtureBackfill = api.BackfillStatus{
	Backfill: record.Backfill{
		ID: 9, Pipeline: "orders", Env: "prod", From: t0, To: t1, Parallel: 2, Total: 1,
		State: record.BackfillRunning, CreatedAt: t0, CreatedBy: "alice",
	},
	Intervals: []api.Interval{{Start: t0, End: t1}},
	Done:      1, Failed: 2, Cancelled: 4, Running: 3, ETA: 90 * time.Second,
}

var wantBackfill = api.BackfillStatusView{
	Backfill: api.BackfillView{
		ID: 9, Pipeline: "orders", Env: "prod", From: t0.UTC(), To: t1.UTC(), Parallel: 2, Total: 1,
		State: record.BackfillRunning, CreatedAt: t0.UTC(), CreatedBy: "alice",
	},
	Intervals: []api.Interval{{Start: t0.UTC(), End: t1.UTC()}},
	Done:      1, Failed: 2, Cancelled: 4, Running: 3, ETASeconds: 90,
}

var fixturePipeline = api.Pipeline{
	Name: "orders", File: "pipelines/orders.yaml", Owner: "data", Description: "daily orders",
	Cron: "0 2 * * *", Timezone: "Europe/Paris", After: []string{"customers"},
	Tasks: []string{"extract", "load"}, Paused: true, NextRun: t1, Error: "line 3: bad",
}

// populated returns a fake whose every method answers with the fixtures.
func populated() *fakeService {
	return &fakeService{
		PipelinesFunc: func(context.Context) ([]api.Pipeline, error) {
			return []api.Pipeline{fixturePipeline, {Name: "empty", File: "pipelines/empty.yaml"}}, nil
		},
		ListRunsFunc: func(_ context.Context, f store.RunFilter) ([]record.Run, error) {
			return []record.Run{fixtureRun(8), fixtureRun(7)}, nil
		},
		GetRunFunc: func(_ context.Context, id int64) (record.Run, []record.RunTask, error) {
			return fixtureRun(id), fixtureTasks, nil
		},
		ListAttemptsFunc: func(context.Context, int64, string) ([]record.TaskAttempt, error) {
			return []record.TaskAttempt{fixtureAttempt}, nil
		},
		TriggerFunc: func(context.Context, api.TriggerRequest) (record.Run, error) {
			return fixtureRun(10), nil
		},
		CancelFunc: func(_ context.Context, id int64, _ string) (record.Run, error) {
			return fixtureRun(id), nil
		},
		BackfillFunc: func(context.Context, api.BackfillRequest) (api.BackfillStatus, error) {
			return fixtureBackfill, nil
		},
		GetBackfillFunc: func(context.Context, int64) (api.BackfillStatus, error) {
			return fixtureBackfill, nil
		},
		CancelBackfillFunc: func(context.Context, int64, string) (api.BackfillStatus, error) {
			return fixtureBackfill, nil
		},
		ListDeadLettersFunc: func(context.Context, store.DeadLetterFilter) ([]record.DeadLetter, error) {
			return []record.DeadLetter{fixtureDeadLetter}, nil
		},
		GetDeadLetterFunc: func(context.Context, int64) (record.DeadLetter, error) {
			return fixtureDeadLetter, nil
		},
		ReplayFunc: func(context.Context, int64, string, bool) (record.Run, error) {
			return fixtureRun(7), nil
		},
		SetPausedFunc: func(context.Context, string, bool, string) error { return nil },
		ReloadFunc: func(context.Context) (api.ReloadResult, error) {
			return api.ReloadResult{Loaded: []string{"orders"}, Errors: []string{"pipelines/x.yaml:1:1: bad"}}, nil
		},
	}
}

// fakeCluster is two servers, the first leading.
type fakeCluster struct{}

func (fakeCluster) Leader(context.Context) (string, bool, error) { return "host-a-1-abc", true, nil }

func (fakeCluster) Workers(context.Context) ([]record.Worker, error) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	return []record.Worker{
		{ID: "host-a-1-abc", Host: "host-a", Labels: map[string]string{"zone": "eu"}, Slots: 4, Running: 1,
			StartedAt: at, HeartbeatAt: at.Add(time.Minute), State: record.WorkerActive},
		{ID: "host-b-2-def", Host: "host-b", StartedAt: at, HeartbeatAt: at, State: record.WorkerGone},
	}, nil
}
