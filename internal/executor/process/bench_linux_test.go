package process

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
)

// BenchmarkRunTrue compares Run of `true` with a bare exec of `sh -c true`,
// interleaved so both see the same machine. ns/op is the executor's; the
// ratio is executor time over bare time. Every attempt has a cgroup where
// one is writable; "no-cgroup" pays for the /proc scan for escapees
// instead, and "v2-bare" runs in a cgroup2 hierarchy without controllers.
func BenchmarkRunTrue(b *testing.B) {
	noCgroup := func(b *testing.B) *Executor { return newExecutor(b, Options{DisableCgroups: true}) }
	for _, bc := range []struct {
		name   string
		exec   func(*testing.B) *Executor
		modify func(*executor.Attempt)
	}{
		{"fast", nil, func(*executor.Attempt) {}},
		{"redact", nil, func(a *executor.Attempt) { a.Redact = []string{"secret"} }},
		{"timeout", nil, func(a *executor.Attempt) { a.Timeout = time.Minute }},
		{"memory-limit", nil, func(a *executor.Attempt) { a.MemoryLimit = 1 << 30 }},
		{"no-cgroup", noCgroup, func(*executor.Attempt) {}},
		{"no-cgroup-memory-limit", noCgroup, func(a *executor.Attempt) { a.MemoryLimit = 1 << 30 }},
		{"v2-bare", func(b *testing.B) *Executor { return v2OnlyExecutor(b) }, func(*executor.Attempt) {}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newExecutor(b, Options{})
			if bc.exec != nil {
				e = bc.exec(b)
			}
			a := attempt(b, "true")
			bc.modify(&a)
			ctx := context.Background()
			var execT, rawT time.Duration
			n := 0
			for b.Loop() {
				t0 := time.Now()
				if res := e.Run(ctx, a); res.Outcome != executor.Succeeded {
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

// BenchmarkAttemptCPU is this process's own CPU (user and system) per
// attempt of `true`: the executor with a cgroup as this machine gives
// one, without, and a bare exec of `sh -c true` for the floor. Each runs
// alone, so a difference is the executor's own cost.
func BenchmarkAttemptCPU(b *testing.B) {
	run := func(b *testing.B, e *Executor, a executor.Attempt) {
		defer reportCPU(b)()
		for b.Loop() {
			if res := e.Run(context.Background(), a); res.Outcome != executor.Succeeded {
				b.Fatalf("run: %+v", res)
			}
		}
	}
	b.Run("executor", func(b *testing.B) { run(b, newExecutor(b, Options{}), attempt(b, "true")) })
	b.Run("no-cgroup", func(b *testing.B) {
		a := attempt(b, "true")
		a.OutputPath = "" // nothing to find escapees by: no /proc scan
		run(b, newExecutor(b, Options{DisableCgroups: true}), a)
	})
	b.Run("raw", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if err := exec.Command("sh", "-c", "true").Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCgroupLifecycle is what a cgroup adds to an attempt that leaves
// nothing behind: create it, find it empty at the end, remove it.
func BenchmarkCgroupLifecycle(b *testing.B) {
	e := newExecutor(b, Options{})
	if e.cgroups == nil {
		b.Skipf("no writable cgroup: %s", e.Limits().Note)
	}
	b.Logf("cgroup %s", e.cgroups.version)
	defer reportCPU(b)()
	for b.Loop() {
		cg, err := e.cgroups.create(0, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := cg.killAll(); err != nil {
			b.Fatal(err)
		}
		if err := cg.remove(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEnvironmentScan is what an attempt without a cgroup pays at its
// end when nothing escaped: one pass over /proc.
func BenchmarkEnvironmentScan(b *testing.B) {
	names, _ := os.ReadDir("/proc")
	b.Logf("%d entries in /proc", len(names))
	env := []string{"GANTRY_OUTPUT=/nonexistent/bench.out", "GANTRY_ATTEMPT_ID=0"}
	defer reportCPU(b)()
	for b.Loop() {
		if err := killMarked(env, startTicks(os.Getpid())); err != nil {
			b.Fatal(err)
		}
	}
}

// reportCPU reports this process's CPU time (user and system) per
// operation, which a loaded machine inflates less than ns/op; call the
// function it returns after the loop.
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() { b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op") }
}
