package executor

import (
	"context"
	"os/exec"
	"testing"
	"time"
)

// BenchmarkRunTrue compares Run of `true` with a bare exec of `sh -c true`,
// interleaved so both see the same machine. ns/op is the executor's; the
// ratio is executor time over bare time.
func BenchmarkRunTrue(b *testing.B) {
	for _, bc := range []struct {
		name   string
		modify func(*Attempt)
	}{
		{"fast", func(*Attempt) {}},
		{"redact", func(a *Attempt) { a.Redact = []string{"secret"} }},
		{"timeout", func(a *Attempt) { a.Timeout = time.Minute }},
		{"memory-limit", func(a *Attempt) { a.MemoryLimit = 1 << 30 }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newExecutor(b, Options{})
			a := attempt(b, "true")
			bc.modify(&a)
			ctx := context.Background()
			var execT, rawT time.Duration
			n := 0
			for b.Loop() {
				t0 := time.Now()
				if res := e.Run(ctx, a); res.Outcome != Succeeded {
					b.Fatalf("run: %+v", res)
				}
				t1 := time.Now()
				if err := exec.Command("sh", "-c", "true").Run(); err != nil {
					b.Fatal(err)
				}
				execT += t1.Sub(t0)
				rawT += time.Since(t1)
				n++
			}
			b.ReportMetric(float64(execT.Nanoseconds())/float64(n), "exec-ns/op")
			b.ReportMetric(float64(rawT.Nanoseconds())/float64(n), "raw-ns/op")
			b.ReportMetric(float64(execT)/float64(rawT), "ratio")
		})
	}
}
