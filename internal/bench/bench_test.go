package bench

import (
	"context"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/app"
)

// BenchmarkChain100 runs a chain of 100 `true` tasks through the engine on
// a durable SQLite store; compare with BenchmarkRawSequential100.
func BenchmarkChain100(b *testing.B) {
	exe, err := app.Executors(nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer exe.Close()
	bn := &bencher{dir: b.TempDir(), exe: exe, open: app.OpenStore}
	if _, _, err := bn.createStore(context.Background()); err != nil {
		b.Fatal(err)
	}
	c0 := selfCPU()
	for b.Loop() {
		if _, err := bn.gantry(context.Background(), 100, 1, true); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, selfCPU()-c0, 100)
}

// BenchmarkRawSequential100 execs `sh -c true` 100 times in a row.
func BenchmarkRawSequential100(b *testing.B) {
	c0 := selfCPU()
	for b.Loop() {
		if _, err := rawLoop(context.Background(), 100, 1); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, selfCPU()-c0, 100)
}

// reportCPU reports this process's CPU per task over the benchmark's
// loop: the difference between the two benchmarks' figures is Gantry's
// own CPU per task.
func reportCPU(b *testing.B, cpu time.Duration, tasks int) {
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*tasks), "cpu-µs/task")
}
