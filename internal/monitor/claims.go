package monitor

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ClaimDepth counts the task attempts queued for workers, by pool ("" for
// none): a store's ClaimDepth.
type ClaimDepth func(ctx context.Context) (map[string]int, error)

// Claims are the metrics of the task claims on a store workers share:
// queue depth by pool (read from the store at each scrape), how long
// claims waited for a worker, and the attempts lost with their worker.
type Claims struct {
	wait prometheus.Histogram
	lost prometheus.Counter
}

// RegisterClaims registers the claims' metrics on reg.
func RegisterClaims(reg prometheus.Registerer, depth ClaimDepth) (*Claims, error) {
	c := &Claims{
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "claim_wait_seconds",
			Help:    "How long a task attempt queued for workers waited until this process's worker claimed it.",
			Buckets: []float64{.001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}),
		lost: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "claims_lost_total",
			Help: "Task attempts this process queued whose worker let its claim go (it stopped, or could not renew its lease): retried within their budget.",
		}),
	}
	for _, m := range []prometheus.Collector{c.wait, c.lost, &depthCollector{depth}} {
		if err := reg.Register(m); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Claimed observes a claim's wait.
func (c *Claims) Claimed(d time.Duration) { c.wait.Observe(d.Seconds()) }

// Lost counts an attempt lost with its worker.
func (c *Claims) Lost() { c.lost.Inc() }

var claimsQueuedDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "claims", "queued"),
	"Task attempts queued for workers and not yet claimed, by the pipeline's pool (\"\" for none).", []string{"pool"}, nil)

type depthCollector struct{ depth ClaimDepth }

func (d *depthCollector) Describe(ch chan<- *prometheus.Desc) { ch <- claimsQueuedDesc }

func (d *depthCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := d.depth(ctx)
	if err != nil {
		return // the store does not answer: gantry_store_writes_failing says so, and /metrics still answers
	}
	if _, ok := n[""]; !ok {
		n[""] = 0 // the series is there when nothing waits
	}
	for pool, v := range n {
		ch <- prometheus.MustNewConstMetric(claimsQueuedDesc, prometheus.GaugeValue, float64(v), pool)
	}
}
