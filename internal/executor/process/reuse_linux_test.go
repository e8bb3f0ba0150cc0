package process

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gantryhq/gantry/internal/executor"
)

// TestCgroupReuse runs attempts one after another in one executor: each
// reports its own CPU time, peak memory and OOM kills even when it runs in
// the cgroup an earlier attempt used, a cgroup with another attempt's
// limits or with much left charged to it is never handed on, and Close
// leaves no cgroup behind.
func TestCgroupReuse(t *testing.T) {
	t.Parallel()
	for _, b := range []struct {
		name string
		exec func(*testing.T) *Executor
	}{
		{"this machine", func(t *testing.T) *Executor {
			e := newExecutor(t, Options{})
			if e.cgroups == nil {
				t.Skipf("no writable cgroup: %s", e.Limits().Note)
			}
			return e
		}},
		{"cgroup v2 without controllers", func(t *testing.T) *Executor { return v2OnlyExecutor(t) }},
	} {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := b.exec(t)
			dirs := recordCgroups(e)
			hook := e.cgroupCreated
			var mu sync.Mutex
			n := 0
			e.cgroupCreated = func(d []string) {
				mu.Lock()
				n++
				mu.Unlock()
				hook(d)
			}
			made := func() int {
				mu.Lock()
				defer mu.Unlock()
				return n
			}
			// v2's memory.peak cannot be reset before Linux 6.12: there
			// every attempt gets a cgroup of its own.
			reuse := e.cgroups.version == "v1" || !e.cgroups.memory
			t.Logf("cgroup %s, memory %v: reuse %v", e.cgroups.version, e.cgroups.memory, reuse)
			run := func(command string, memLimit int64) (executor.Result, executor.Attempt) {
				t.Helper()
				a := attempt(t, command)
				a.MemoryLimit = memLimit
				return e.Run(context.Background(), a), a
			}
			wantMade := func(reused, fresh int, why string) {
				t.Helper()
				want := fresh
				if !reuse {
					want += reused
				}
				if got := made(); got != want {
					t.Errorf("%s: %d cgroups made, want %d", why, got, want)
				}
			}

			busy, _ := run(`i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done`, 0)
			wantOutcome(t, busy, executor.Succeeded)
			quick, _ := run("true", 0)
			wantOutcome(t, quick, executor.Succeeded)
			wantMade(1, 1, "a second attempt with the same limits")
			if busy.CPUTime <= 0 || quick.CPUTime >= busy.CPUTime/2 {
				t.Errorf("CPU time %v after a busy attempt's %v: the earlier attempt's time is counted again", quick.CPUTime, busy.CPUTime)
			}
			// An escapee of the earlier attempt is killed before its
			// cgroup is handed on. On v2 that takes cgroup.kill, after
			// which the kernel kills whatever is cloned into the cgroup:
			// the next attempt gets a new one.
			esc, _ := run("setsid sleep 1000 & echo started", 0)
			wantOutcome(t, esc, executor.Succeeded)
			after, _ := run("true", 0)
			wantOutcome(t, after, executor.Succeeded)
			fresh := 1
			if e.cgroups.version == "v2" {
				fresh = 2
			}
			wantMade(4-fresh, fresh, "after an escapee")

			// Other limits: a cgroup of its own.
			other, _ := run("true", 64<<20)
			wantOutcome(t, other, executor.Succeeded)
			fresh++
			wantMade(5-fresh, fresh, "an attempt with a memory limit")

			if e.cgroups.memory && reuse {
				heavy, _ := run(`perl -e '$x = "a" x (100*1024*1024)'`, 0)
				wantOutcome(t, heavy, executor.Succeeded)
				light, _ := run("true", 0)
				wantOutcome(t, light, executor.Succeeded)
				if heavy.PeakMemory < 100<<20 || light.PeakMemory >= 20<<20 {
					t.Errorf("peak %s after a peak of %s: the earlier attempt's peak is counted again",
						formatBytes(light.PeakMemory), formatBytes(heavy.PeakMemory))
				}
				wantMade(5, 2, "after a heavy attempt")

				killed, _ := run(allocate200M, 64<<20)
				wantOutcome(t, killed, executor.MemoryExceeded)
				calm, _ := run("true", 64<<20)
				wantOutcome(t, calm, executor.Succeeded)
				if calm.OOMKills != 0 {
					t.Errorf("%d OOM kills counted for an attempt after one the kernel killed", calm.OOMKills)
				}
				wantMade(7, 2, "after an OOM kill")

				// A file's page cache stays charged to the cgroup that
				// wrote it: the next attempt would start over its peak.
				writer, wa := run("head -c 16777216 /dev/zero > big", 0)
				wantOutcome(t, writer, executor.Succeeded)
				next, _ := run("true", 0)
				wantOutcome(t, next, executor.Succeeded)
				wantMade(8, 3, "after an attempt that left 16 MiB of page cache")
				if next.PeakMemory >= 8<<20 {
					t.Errorf("peak %s after an attempt that wrote 16 MiB", formatBytes(next.PeakMemory))
				}
				_ = os.Remove(filepath.Join(wa.Dir, "big"))
			}

			kept := 0
			for _, d := range dirs() {
				if _, err := os.Stat(d); err == nil {
					kept++
				}
			}
			if reuse && kept == 0 {
				t.Errorf("no cgroup kept for reuse")
			}
			assertRemoved(t, e, dirs())
			// Closed, an executor still runs attempts and removes each
			// cgroup at the attempt's end.
			late, _ := run("true", 0)
			wantOutcome(t, late, executor.Succeeded)
			assertRemoved(t, e, dirs())
		})
	}
}
