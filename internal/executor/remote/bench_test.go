package remote_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/store/storepg"
	"github.com/gantryhq/gantry/internal/store/storepg/pgtest"
)

func pgCluster(b *testing.B) *cluster {
	s, err := storepg.Open(b.Context(), pgtest.SchemaURL(b, "gantry_rbench_"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return newCluster(b, s)
}

// BenchmarkClaimLatency measures, on PostgreSQL with an idle worker
// woken by LISTEN/NOTIFY, how long a queued attempt waits until it is
// claimed; the worker's poll (1s) is only the safety net.
func BenchmarkClaimLatency(b *testing.B) {
	c := pgCluster(b)
	var mu sync.Mutex
	var waits []time.Duration
	c.startWorker("w", 1, 10*time.Second, nil, func(d time.Duration) {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
	})
	for b.Loop() {
		a := c.attempt("true")
		if res := c.x.Run(b.Context(), a); res.Outcome != executor.Succeeded {
			b.Fatalf("%+v", res)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(waits)
	if len(waits) > 0 {
		b.ReportMetric(float64(waits[len(waits)/2].Microseconds())/1000, "p50-claim-ms")
		b.ReportMetric(float64(waits[len(waits)*99/100].Microseconds())/1000, "p99-claim-ms")
	}
}

// BenchmarkThroughput runs 40 attempts that sleep 50ms each through 1, 2
// and 4 workers of one slot each, on PostgreSQL.
func BenchmarkThroughput(b *testing.B) {
	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("workers=%d", n), func(b *testing.B) {
			c := pgCluster(b)
			for i := range n {
				c.startWorker(fmt.Sprintf("w%d", i), 1, 10*time.Second, nil, nil)
			}
			const tasks = 40
			for b.Loop() {
				var wg sync.WaitGroup
				for range tasks {
					a := c.attempt("sleep 0.05")
					wg.Go(func() {
						if res := c.x.Run(b.Context(), a); res.Outcome != executor.Succeeded {
							b.Errorf("%+v", res)
						}
					})
				}
				wg.Wait()
			}
			b.ReportMetric(float64(tasks*b.N)/b.Elapsed().Seconds(), "tasks/s")
		})
	}
}
