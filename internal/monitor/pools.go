package monitor

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gantryhq/gantry/internal/engine/pool"
)

// PoolSource answers the pool gauges at scrape time; the server's limiter
// behind it is safe for concurrent use.
type PoolSource interface {
	PoolUsage() []pool.Usage
}

// RegisterPools registers gantry_pool_slots, gantry_pool_slots_in_use and
// gantry_pool_tasks_waiting, one series per pool, read from src when
// Prometheus scrapes.
func RegisterPools(reg prometheus.Registerer, src PoolSource) error {
	return reg.Register(&poolCollector{src: src})
}

type poolCollector struct{ src PoolSource }

var _ prometheus.Collector = (*poolCollector)(nil)

var (
	poolSlotsDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "pool", "slots"),
		"Tasks a pool lets run at once (gantry.yaml pools), in this process.", []string{"pool"}, nil)
	poolInUseDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "pool", "slots_in_use"),
		"Slots of a pool held by running task attempts.", []string{"pool"}, nil)
	poolWaitingDesc = prometheus.NewDesc(prometheus.BuildFQName(namespace, "pool", "tasks_waiting"),
		"Tasks ready to run that wait for a slot of a pool (state waiting_pool).", []string{"pool"}, nil)
)

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolSlotsDesc
	ch <- poolInUseDesc
	ch <- poolWaitingDesc
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	for _, u := range c.src.PoolUsage() {
		ch <- prometheus.MustNewConstMetric(poolSlotsDesc, prometheus.GaugeValue, float64(u.Slots), u.Pool)
		ch <- prometheus.MustNewConstMetric(poolInUseDesc, prometheus.GaugeValue, float64(u.InUse), u.Pool)
		ch <- prometheus.MustNewConstMetric(poolWaitingDesc, prometheus.GaugeValue, float64(u.Waiting), u.Pool)
	}
}
