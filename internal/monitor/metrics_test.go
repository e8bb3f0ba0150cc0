package monitor

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/gantryhq/gantry/internal/record"
)

var t0 = time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)

// fakeSource is a Source whose answers the test sets directly.
type fakeSource struct {
	queue, running, dead int
	last                 map[string]map[string]time.Time
}

func (f *fakeSource) QueueDepth() int                              { return f.queue }
func (f *fakeSource) RunningTasks() int                            { return f.running }
func (f *fakeSource) DeadLetters() int                             { return f.dead }
func (f *fakeSource) LastSuccess() map[string]map[string]time.Time { return f.last }

func newMetrics(t *testing.T, src Source) (*Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := New(reg, src, "v1.2.3")
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m, reg
}

// sample finds the series of family name whose labels are exactly labels.
// ok is false when there is none.
func sample(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) (*dto.Metric, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; !ok || v != lp.GetValue() {
					continue next
				}
			}
			return m, true
		}
	}
	return nil, false
}

// value returns a counter's or gauge's value, or a histogram's sample count.
func value(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	m, ok := sample(t, reg, name, labels)
	if !ok {
		t.Fatalf("%s%v: no such series", name, labels)
	}
	switch {
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Histogram != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	t.Fatalf("%s%v: unexpected type", name, labels)
	return 0
}

func TestRunFinished(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, nil)
	run := func(state record.RunState, started time.Time, took time.Duration) record.Run {
		return record.Run{Pipeline: "orders", Env: "prod", State: state, StartedAt: started, FinishedAt: t0.Add(took)}
	}
	m.RunFinished(run(record.RunSucceeded, t0, 90*time.Second))
	m.RunFinished(run(record.RunSucceeded, t0, 30*time.Second))
	m.RunFinished(run(record.RunFailed, t0, time.Hour))
	// Cancelled while queued: counted, but it never ran, so no duration.
	m.RunFinished(run(record.RunCancelled, time.Time{}, 0))

	for _, tc := range []struct {
		state string
		want  float64
	}{{"succeeded", 2}, {"failed", 1}, {"cancelled", 1}} {
		if got := value(t, reg, "gantry_runs_total", map[string]string{"pipeline": "orders", "env": "prod", "state": tc.state}); got != tc.want {
			t.Errorf("gantry_runs_total{state=%q} = %v, want %v", tc.state, got, tc.want)
		}
	}
	h, _ := sample(t, reg, "gantry_run_duration_seconds", map[string]string{"pipeline": "orders", "env": "prod"})
	if got, want := h.GetHistogram().GetSampleCount(), uint64(3); got != want {
		t.Errorf("run duration samples = %d, want %d", got, want)
	}
	if got, want := h.GetHistogram().GetSampleSum(), 90.0+30+3600; got != want {
		t.Errorf("run duration sum = %v, want %v", got, want)
	}
}

// A server running prod also runs the staging runs of its deploys: 10
// prod, 5 staging and 1 local run are 10, 5 and 1, never 16 in one series.
func TestEnvironmentsCountedApart(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, nil)
	for i := range 16 {
		env := "prod"
		if i%3 == 0 { // 0, 3, 6, 9, 12, 15
			env = "staging"
		}
		if i == 15 {
			env = "" // a run outside any deploy environment
		}
		r := record.Run{Pipeline: "orders", Env: env, State: record.RunSucceeded, StartedAt: t0, FinishedAt: t0.Add(time.Second)}
		m.RunFinished(r)
		m.AttemptFinished(r.Pipeline, r.Env, record.TaskAttempt{Task: "load", State: record.TaskSucceeded,
			StartedAt: t0, FinishedAt: t0.Add(time.Second), Outputs: []record.Output{{Key: "rows", Value: fmt.Sprint(i)}}})
		m.SchedulerLag(r.Pipeline, r.Env, time.Second)
	}
	for env, want := range map[string]float64{"prod": 10, "staging": 5, "": 1} {
		l := map[string]string{"pipeline": "orders", "env": env}
		if got := value(t, reg, "gantry_runs_total", map[string]string{"pipeline": "orders", "env": env, "state": "succeeded"}); got != want {
			t.Errorf("gantry_runs_total{env=%q} = %v, want %v", env, got, want)
		}
		if got := value(t, reg, "gantry_run_duration_seconds", l); got != want {
			t.Errorf("gantry_run_duration_seconds{env=%q} samples = %v, want %v", env, got, want)
		}
		if got := value(t, reg, "gantry_scheduler_lag_seconds", l); got != want {
			t.Errorf("gantry_scheduler_lag_seconds{env=%q} samples = %v, want %v", env, got, want)
		}
		if got := value(t, reg, "gantry_task_attempts_total", map[string]string{"pipeline": "orders", "env": env, "task": "load", "state": "succeeded"}); got != want {
			t.Errorf("gantry_task_attempts_total{env=%q} = %v, want %v", env, got, want)
		}
	}
	// Each environment keeps its own last figure.
	for env, want := range map[string]float64{"prod": 14, "staging": 12, "": 15} {
		if got := value(t, reg, "gantry_task_output", map[string]string{"pipeline": "orders", "env": env, "task": "load", "key": "rows"}); got != want {
			t.Errorf("gantry_task_output{env=%q} = %v, want %v", env, got, want)
		}
	}
}

func TestAttemptFinished(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, nil)
	attempt := func(n int, state record.TaskState, took time.Duration, outs ...record.Output) record.TaskAttempt {
		return record.TaskAttempt{
			Task: "load", Attempt: n, State: state,
			StartedAt: t0, FinishedAt: t0.Add(took), Outputs: outs,
		}
	}
	m.AttemptFinished("orders", "prod", attempt(1, record.TaskFailed, 2*time.Second))
	m.AttemptFinished("orders", "prod", attempt(2, record.TaskTimedOut, 10*time.Minute))
	m.AttemptFinished("orders", "prod", attempt(3, record.TaskSucceeded, 15*time.Millisecond,
		record.Output{Key: "rows", Value: "1042"}))
	// Never started: counted, no duration.
	m.AttemptFinished("orders", "prod", record.TaskAttempt{Task: "report", State: record.TaskUpstreamFailed})

	for _, tc := range []struct {
		task, state string
		want        float64
	}{
		{"load", "failed", 1}, {"load", "timed_out", 1}, {"load", "succeeded", 1},
		{"report", "upstream_failed", 1},
	} {
		labels := map[string]string{"pipeline": "orders", "env": "prod", "task": tc.task, "state": tc.state}
		if got := value(t, reg, "gantry_task_attempts_total", labels); got != tc.want {
			t.Errorf("gantry_task_attempts_total%v = %v, want %v", labels, got, tc.want)
		}
	}
	if got := value(t, reg, "gantry_task_duration_seconds", map[string]string{"pipeline": "orders", "env": "prod", "task": "load"}); got != 3 {
		t.Errorf("load duration samples = %v, want 3", got)
	}
	if _, ok := sample(t, reg, "gantry_task_duration_seconds", map[string]string{"pipeline": "orders", "env": "prod", "task": "report"}); ok {
		t.Error("a task that never started has a duration series")
	}
	// 15ms lands above the 10ms bucket and within 50ms.
	h, _ := sample(t, reg, "gantry_task_duration_seconds", map[string]string{"pipeline": "orders", "env": "prod", "task": "load"})
	for _, b := range h.GetHistogram().GetBucket() {
		switch b.GetUpperBound() {
		case 0.01:
			if b.GetCumulativeCount() != 0 {
				t.Errorf("le=0.01 count = %d, want 0", b.GetCumulativeCount())
			}
		case 0.05:
			if b.GetCumulativeCount() != 1 {
				t.Errorf("le=0.05 count = %d, want 1", b.GetCumulativeCount())
			}
		}
	}
}

func TestSchedulerLag(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, nil)
	m.SchedulerLag("orders", "prod", 300*time.Millisecond)
	m.SchedulerLag("orders", "prod", 2*time.Minute)
	m.SchedulerLag("orders", "prod", -time.Second) // clock skew: counted as 0
	m.SchedulerLag("billing", "prod", time.Second)

	h, _ := sample(t, reg, "gantry_scheduler_lag_seconds", map[string]string{"pipeline": "orders", "env": "prod"})
	if got := h.GetHistogram().GetSampleCount(); got != 3 {
		t.Errorf("orders lag samples = %d, want 3", got)
	}
	if got, want := h.GetHistogram().GetSampleSum(), 120.3; got != want {
		t.Errorf("orders lag sum = %v, want %v", got, want)
	}
	if got := value(t, reg, "gantry_scheduler_lag_seconds", map[string]string{"pipeline": "billing", "env": "prod"}); got != 1 {
		t.Errorf("billing lag samples = %v, want 1", got)
	}
}

func TestSourceGauges(t *testing.T) {
	t.Parallel()
	src := &fakeSource{queue: 3, running: 2, dead: 1, last: map[string]map[string]time.Time{
		"orders":  {"prod": time.Unix(1772330400, 500_000_000), "staging": time.Unix(1772334000, 0)},
		"billing": {"": time.Unix(1772326800, 0)},
		"never":   {"prod": {}}, // a zero time is no success at all
	}}
	_, reg := newMetrics(t, src)
	want := func(queue int) string {
		return fmt.Sprintf(`
# HELP gantry_dead_letters Dead letters not yet replayed.
# TYPE gantry_dead_letters gauge
gantry_dead_letters 1
# HELP gantry_last_success_interval_end_timestamp_seconds End of the interval of each pipeline's latest succeeded run in each environment, in Unix seconds.
# TYPE gantry_last_success_interval_end_timestamp_seconds gauge
gantry_last_success_interval_end_timestamp_seconds{env="",pipeline="billing"} 1.7723268e+09
gantry_last_success_interval_end_timestamp_seconds{env="prod",pipeline="orders"} 1.7723304005e+09
gantry_last_success_interval_end_timestamp_seconds{env="staging",pipeline="orders"} 1.772334e+09
# HELP gantry_queue_depth Runs queued or waiting for an upstream.
# TYPE gantry_queue_depth gauge
gantry_queue_depth %d
# HELP gantry_running_tasks Task attempts currently running.
# TYPE gantry_running_tasks gauge
gantry_running_tasks 2
`, queue)
	}
	names := []string{"gantry_queue_depth", "gantry_running_tasks", "gantry_dead_letters",
		"gantry_last_success_interval_end_timestamp_seconds"}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want(3)), names...); err != nil {
		t.Error(err)
	}
	// Values are read at scrape time, not cached at New.
	src.queue = 7
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want(7)), names...); err != nil {
		t.Error(err)
	}
}

func TestNoSource(t *testing.T) {
	t.Parallel()
	_, reg := newMetrics(t, nil)
	if _, ok := sample(t, reg, "gantry_queue_depth", nil); ok {
		t.Error("gantry_queue_depth exported without a Source")
	}
}

func TestBuildInfo(t *testing.T) {
	t.Parallel()
	_, reg := newMetrics(t, nil)
	if got := value(t, reg, "gantry_build_info", map[string]string{"version": "v1.2.3"}); got != 1 {
		t.Errorf("gantry_build_info = %v, want 1", got)
	}

	// Without a version the series is still there, labelled with whatever
	// the binary knows ("(devel)" under go test, else "unknown").
	reg = prometheus.NewRegistry()
	if _, err := New(reg, nil, ""); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var versions []string
	for _, mf := range mfs {
		if mf.GetName() == "gantry_build_info" {
			for _, m := range mf.GetMetric() {
				versions = append(versions, m.GetLabel()[0].GetValue())
			}
		}
	}
	if len(versions) != 1 || versions[0] == "" {
		t.Errorf("gantry_build_info versions = %q, want one non-empty", versions)
	}
}

func TestNewRegisterTwice(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	if _, err := New(reg, &fakeSource{}, "v1"); err != nil {
		t.Fatal(err)
	}
	// A second set on the same registry would double count; New says so.
	if _, err := New(reg, &fakeSource{}, "v1"); err == nil {
		t.Error("New registered the same metrics twice without error")
	}
}

// The engine reports from each run's goroutine while Prometheus scrapes.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, &fakeSource{})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				a := record.TaskAttempt{Task: "load", State: record.TaskSucceeded,
					StartedAt: t0, FinishedAt: t0.Add(time.Second),
					Outputs: []record.Output{{Key: fmt.Sprintf("k%d", j%40), Value: fmt.Sprint(i)}}}
				m.AttemptFinished("orders", "prod", a)
				m.RunFinished(record.Run{Pipeline: "orders", Env: "prod", State: record.RunSucceeded})
				m.SchedulerLag("orders", "prod", time.Millisecond)
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if _, err := reg.Gather(); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	if got := value(t, reg, "gantry_task_attempts_total", map[string]string{"pipeline": "orders", "env": "prod", "task": "load", "state": "succeeded"}); got != 400 {
		t.Errorf("attempts = %v, want 400", got)
	}
	if got := testutil.CollectAndCount(m.outputs); got != MaxOutputKeys {
		t.Errorf("output series = %d, want %d (the cap)", got, MaxOutputKeys)
	}
}
