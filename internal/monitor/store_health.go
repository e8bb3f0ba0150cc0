package monitor

import (
	"github.com/prometheus/client_golang/prometheus"
)

// StoreHealth is what the store-health metrics read at scrape time.
type StoreHealth interface {
	Err() error       // nil while the store's writes succeed
	Failures() uint64 // failed writes since the process started
}

// RegisterStoreHealth registers gantry_store_write_errors_total and
// gantry_store_writes_failing, read from h when Prometheus scrapes.
func RegisterStoreHealth(reg prometheus.Registerer, h StoreHealth) error {
	errs := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: namespace,
		Name:      "store_write_errors_total",
		Help:      "Writes to the store that failed (each retry counts).",
	}, func() float64 { return float64(h.Failures()) })
	failing := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "store_writes_failing",
		Help:      "1 while the store's last write failed: runs wait for it.",
	}, func() float64 {
		if h.Err() != nil {
			return 1
		}
		return 0
	})
	for _, c := range []prometheus.Collector{errs, failing} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
