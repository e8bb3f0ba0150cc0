package monitor

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Source answers the state gauges when Prometheus scrapes. It is called
// from the scrape's goroutine, possibly concurrently, so it must be safe for
// concurrent use and quick: a scrape waits for it.
type Source interface {
	QueueDepth() int   // runs queued or waiting_upstream
	RunningTasks() int // task attempts in flight
	DeadLetters() int  // dead letters not yet replayed
	// LastSuccess maps each pipeline, then each environment it runs in
	// ("" outside any), to the end of the interval of its latest succeeded
	// run there. Pipelines and environments without a success are absent.
	LastSuccess() map[string]map[string]time.Time
}

// sourceCollector turns a Source into gauges at scrape time.
type sourceCollector struct {
	src          Source
	queueDepth   *prometheus.Desc
	runningTasks *prometheus.Desc
	deadLetters  *prometheus.Desc
	lastSuccess  *prometheus.Desc
}

var _ prometheus.Collector = (*sourceCollector)(nil)

func newSourceCollector(src Source) *sourceCollector {
	name := func(n string) string { return prometheus.BuildFQName(namespace, "", n) }
	return &sourceCollector{
		src: src,
		queueDepth: prometheus.NewDesc(name("queue_depth"),
			"Runs queued or waiting for an upstream.", nil, nil),
		runningTasks: prometheus.NewDesc(name("running_tasks"),
			"Task attempts currently running.", nil, nil),
		deadLetters: prometheus.NewDesc(name("dead_letters"),
			"Dead letters not yet replayed.", nil, nil),
		lastSuccess: prometheus.NewDesc(name("last_success_interval_end_timestamp_seconds"),
			"End of the interval of each pipeline's latest succeeded run in each environment, in Unix seconds.",
			[]string{"pipeline", "env"}, nil),
	}
}

func (c *sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.queueDepth
	ch <- c.runningTasks
	ch <- c.deadLetters
	ch <- c.lastSuccess
}

func (c *sourceCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.queueDepth, prometheus.GaugeValue, float64(c.src.QueueDepth()))
	ch <- prometheus.MustNewConstMetric(c.runningTasks, prometheus.GaugeValue, float64(c.src.RunningTasks()))
	ch <- prometheus.MustNewConstMetric(c.deadLetters, prometheus.GaugeValue, float64(c.src.DeadLetters()))
	for pipeline, envs := range c.src.LastSuccess() {
		for env, end := range envs {
			if end.IsZero() {
				continue
			}
			ch <- prometheus.MustNewConstMetric(c.lastSuccess, prometheus.GaugeValue,
				float64(end.UnixNano())/1e9, pipeline, env)
		}
	}
}
