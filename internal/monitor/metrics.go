package monitor

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gantryhq/gantry/internal/record"
)

const namespace = "gantry"

// Histogram buckets, in seconds.
var (
	// Tasks range from a quick SQL statement to a multi-hour batch job.
	taskBuckets = []float64{
		0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600,
		1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600,
	}
	// A run is a chain of tasks, so it can last longer than any one of them.
	runBuckets = []float64{
		0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600,
		2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600,
	}
	// Lag is normally sub-second; minutes mean the server is overloaded or
	// a pipeline waited on its upstream.
	lagBuckets = []float64{
		0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
	}
)

// Metrics records Gantry's metrics. Its methods are safe for concurrent use.
type Metrics struct {
	runs         *prometheus.CounterVec
	runDuration  *prometheus.HistogramVec
	attempts     *prometheus.CounterVec
	taskDuration *prometheus.HistogramVec
	outputs      *prometheus.GaugeVec
	schedulerLag *prometheus.HistogramVec
	outputKeys   outputKeys
}

// New registers Gantry's metrics on reg. State gauges are read from src at
// scrape time; src may be nil when there is no server (a local run).
// version labels gantry_build_info; "" means the main module's version.
func New(reg prometheus.Registerer, src Source, version string) (*Metrics, error) {
	m := &Metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "runs_total",
			Help:      "Runs that reached a final state, by pipeline, environment and state.",
		}, []string{"pipeline", "env", "state"}),
		runDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace,
			Name:      "run_duration_seconds",
			Help:      "Time from a run's first task start to its end.",
			Buckets:   runBuckets,
		}, []string{"pipeline", "env"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace,
			Name:      "task_attempts_total",
			Help:      "Task attempts that ended, by pipeline, environment, task and final state.",
		}, []string{"pipeline", "env", "task", "state"}),
		taskDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace,
			Name:      "task_duration_seconds",
			Help:      "Time a task attempt ran, from process start to exit.",
			Buckets:   taskBuckets,
		}, []string{"pipeline", "env", "task"}),
		outputs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace,
			Name:      "task_output",
			Help:      "Last numeric value a task reported through $GANTRY_OUTPUT, by key.",
		}, []string{"pipeline", "env", "task", "key"}),
		schedulerLag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace,
			Name:      "scheduler_lag_seconds",
			Help:      "Time from a scheduled tick to the start of the run's first task.",
			Buckets:   lagBuckets,
		}, []string{"pipeline", "env"}),
		outputKeys: outputKeys{seen: map[taskKey]map[string]struct{}{}},
	}
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "build_info",
		Help:      "Always 1; labelled with the running Gantry version.",
	}, []string{"version"})
	buildInfo.WithLabelValues(resolveVersion(version)).Set(1)

	cs := []prometheus.Collector{
		m.runs, m.runDuration, m.attempts, m.taskDuration, m.outputs,
		m.schedulerLag, buildInfo,
	}
	if src != nil {
		cs = append(cs, newSourceCollector(src))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

// RunFinished counts r, which should be final, and observes how long it
// ran. A run that never started (cancelled while queued) is counted but has
// no duration. Its env label is r.Env: "" for a run outside any deploy
// environment.
func (m *Metrics) RunFinished(r record.Run) {
	m.runs.WithLabelValues(r.Pipeline, r.Env, string(r.State)).Inc()
	if d, ok := span(r.StartedAt, r.FinishedAt); ok {
		m.runDuration.WithLabelValues(r.Pipeline, r.Env).Observe(d.Seconds())
	}
}

// AttemptFinished counts a, an attempt of a run of pipeline in env, which
// should be final, observes how long it ran, and exports its numeric
// outputs.
func (m *Metrics) AttemptFinished(pipeline, env string, a record.TaskAttempt) {
	m.attempts.WithLabelValues(pipeline, env, a.Task, string(a.State)).Inc()
	if d, ok := span(a.StartedAt, a.FinishedAt); ok {
		m.taskDuration.WithLabelValues(pipeline, env, a.Task).Observe(d.Seconds())
	}
	for _, o := range a.Outputs {
		key, v, ok := numericOutput(o)
		if !ok || !m.outputKeys.admit(taskKey{pipeline, a.Task}, key) {
			continue
		}
		m.outputs.WithLabelValues(pipeline, env, a.Task, key).Set(v)
	}
}

// SchedulerLag observes the delay between a scheduled tick of pipeline in
// env and the start of its run's first task. A negative d (clock skew)
// counts as 0.
func (m *Metrics) SchedulerLag(pipeline, env string, d time.Duration) {
	m.schedulerLag.WithLabelValues(pipeline, env).Observe(max(d, 0).Seconds())
}

// span returns end-start when both are set and in order.
func span(start, end time.Time) (time.Duration, bool) {
	if start.IsZero() || end.IsZero() || end.Before(start) {
		return 0, false
	}
	return end.Sub(start), true
}

// resolveVersion falls back to the version Go stamped into the binary.
func resolveVersion(v string) string {
	if v != "" {
		return v
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "unknown"
}
