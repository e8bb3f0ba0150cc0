package monitor

import (
	"context"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/prometheus/client_golang/prometheus"
)

// Leadership is a process's view of the leader lease.
type Leadership interface {
	Holder() string // this process as a lease holder
	Leading() bool
	Leader(ctx context.Context) (record.Lease, error) // the lease as stored
}

// LeaderMetrics counts leadership changes and failed renewals; it is the
// server's LeadershipObserver.
type LeaderMetrics struct {
	changes, renewFailures prometheus.Counter
}

// LeaderChanged counts a change: this process started or stopped leading.
func (m *LeaderMetrics) LeaderChanged(bool, string) { m.changes.Inc() }

// LeaseRenewFailed counts a renewal of the lease that failed.
func (m *LeaderMetrics) LeaseRenewFailed() { m.renewFailures.Inc() }

// leaderReadTimeout bounds the store read of a scrape.
const leaderReadTimeout = 2 * time.Second

// RegisterLeadership registers gantry_leader{holder} (1 for the process
// the store says leads now, read at each scrape; nothing while nobody
// does), gantry_leading (1 while this process leads),
// gantry_leader_changes_total and gantry_lease_renew_failures_total (as
// this process saw them), and returns the counters' observer.
func RegisterLeadership(reg prometheus.Registerer, l Leadership) (*LeaderMetrics, error) {
	m := &LeaderMetrics{
		changes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "leader_changes_total",
			Help: "Times this process started or stopped leading.",
		}),
		renewFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "lease_renew_failures_total",
			Help: "Renewals of the leader lease that failed while this process led.",
		}),
	}
	leading := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace, Name: "leading",
		Help:        "1 while this process holds the leader lease.",
		ConstLabels: prometheus.Labels{"holder": l.Holder()},
	}, func() float64 {
		if l.Leading() {
			return 1
		}
		return 0
	})
	for _, c := range []prometheus.Collector{m.changes, m.renewFailures, leading, leaderCollector{l}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

var leaderDesc = prometheus.NewDesc(namespace+"_leader", "1 for the process that holds the leader lease, as the store says.", []string{"holder"}, nil)

// leaderCollector reads the lease from the store at each scrape.
type leaderCollector struct{ l Leadership }

func (leaderCollector) Describe(ch chan<- *prometheus.Desc) { ch <- leaderDesc }

func (c leaderCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), leaderReadTimeout)
	defer cancel()
	lease, err := c.l.Leader(ctx)
	if err != nil || !lease.Live(time.Now()) {
		return
	}
	ch <- prometheus.MustNewConstMetric(leaderDesc, prometheus.GaugeValue, 1, lease.Holder)
}
