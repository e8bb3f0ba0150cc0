package process

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
)

// allocate200M holds 200 MiB for five seconds; perl is in every Debian base.
const allocate200M = `perl -e '$x = "a" x (200*1024*1024); sleep 5'`

func TestMemoryLimit(t *testing.T) {
	t.Parallel()

	t.Run("cgroup", func(t *testing.T) {
		t.Parallel()
		e := newExecutor(t, Options{})
		if !e.Limits().Memory {
			t.Skipf("no writable cgroup memory controller: %s", e.Limits().Note)
		}
		cgroups := recordCgroups(e)
		a := attempt(t, allocate200M)
		a.MemoryLimit = 64 << 20
		start := time.Now()
		res := e.Run(context.Background(), a)
		wantOutcome(t, res, executor.MemoryExceeded)
		if !strings.HasPrefix(res.Error, "memory limit 64Mi exceeded (peak ") {
			t.Errorf("error %q", res.Error)
		}
		if res.PeakMemory < 32<<20 || res.PeakMemory > 65<<20 {
			t.Errorf("peak %s, want close to the 64Mi limit", formatBytes(res.PeakMemory))
		}
		// The task sleeps 5 s once it holds its memory: ending before
		// then means it was stopped, whatever the machine's load.
		if d := time.Since(start); d >= 5*time.Second {
			t.Errorf("took %v: the limit did not stop it", d)
		}
		t.Logf("%s: %+v", e.Limits().Cgroup, res)
		assertRemoved(t, e, cgroups())
	})

	t.Run("polling without cgroups", func(t *testing.T) {
		t.Parallel()
		e := newExecutor(t, Options{DisableCgroups: true})
		a := attempt(t, allocate200M)
		a.MemoryLimit = 64 << 20
		start := time.Now()
		res := e.Run(context.Background(), a)
		wantOutcome(t, res, executor.MemoryExceeded)
		if !strings.HasPrefix(res.Error, "memory limit 64Mi exceeded (peak ") || res.Signal != "killed" {
			t.Errorf("error %q, signal %q", res.Error, res.Signal)
		}
		if res.PeakMemory <= 64<<20 {
			t.Errorf("peak %s, want over the limit", formatBytes(res.PeakMemory))
		}
		if d := time.Since(start); d >= 5*time.Second {
			t.Errorf("took %v: the poller did not stop it", d)
		}
		t.Logf("polling: %+v", res)
	})

	t.Run("polling counts the whole group", func(t *testing.T) {
		t.Parallel()
		e := newExecutor(t, Options{DisableCgroups: true})
		// Two children of 40 MiB each: neither alone is over 64 MiB.
		hold := `perl -e '$x = "a" x (40*1024*1024); sleep 5'`
		a := attempt(t, hold+" & "+hold+" & wait")
		a.MemoryLimit = 64 << 20
		wantOutcome(t, e.Run(context.Background(), a), executor.MemoryExceeded)
	})

	t.Run("under the limit succeeds", func(t *testing.T) {
		t.Parallel()
		// Without cgroups the figure is the child's high-water mark,
		// which starts at this process's own (the fork's copy of it) and
		// is dropped when no larger: the task must outgrow the test
		// binary, which under -race is tens of MiB, to be seen.
		var self syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &self); err != nil {
			t.Fatal(err)
		}
		size := self.Maxrss*1024 + 32<<20 // with room for the other tests running alongside
		for _, disable := range []bool{false, true} {
			e := newExecutor(t, Options{DisableCgroups: disable})
			a := attempt(t, fmt.Sprintf(`perl -e '$x = "a" x %d'`, size))
			a.MemoryLimit = 2*size + 64<<20
			res := e.Run(context.Background(), a)
			wantOutcome(t, res, executor.Succeeded)
			if res.PeakMemory < size {
				t.Errorf("cgroups disabled %v: peak %s, want at least %s", disable, formatBytes(res.PeakMemory), formatBytes(size))
			}
		}
	})
}

func TestCgroupEscapee(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, Options{})
	if !e.Limits().Memory {
		t.Skipf("no writable cgroup memory controller: %s", e.Limits().Note)
	}
	cgroups := recordCgroups(e)
	// setsid leaves the process group; only the cgroup still holds it.
	a := attempt(t, `setsid sleep 1000 > /dev/null 2>&1 & echo $! > pidfile`)
	a.MemoryLimit = 256 << 20
	wantOutcome(t, e.Run(context.Background(), a), executor.Succeeded)
	assertGone(t, readPID(t, filepath.Join(a.Dir, "pidfile")))
	assertRemoved(t, e, cgroups())
}

func TestCPULimit(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, Options{})
	if !e.Limits().CPU {
		t.Skipf("no writable cgroup cpu controller: %s", e.Limits().Note)
	}
	cgroups := recordCgroups(e)
	a := attempt(t, `exec perl -MTime::HiRes=time -e '$t = time + 1; while (time < $t) {}'`)
	a.MilliCPU = 200
	res := e.Run(context.Background(), a)
	wantOutcome(t, res, executor.Succeeded)
	wall := res.FinishedAt.Sub(res.StartedAt)
	t.Logf("cpu %v over %v wall", res.CPUTime, wall)
	if res.CPUTime <= 0 || res.CPUTime > wall*2/5 {
		t.Errorf("cpu %v over %v wall, want about a fifth", res.CPUTime, wall)
	}
	assertRemoved(t, e, cgroups())
}

func TestLimits(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, Options{DisableCgroups: true})
	want := executor.LimitSupport{Cgroup: "none", Note: "cpu limits not enforced: no writable cgroup cpu controller; memory enforced by polling RSS"}
	if got := e.Limits(); got != want {
		t.Errorf("Limits() = %+v, want %+v", got, want)
	}
	t.Logf("this machine: %+v", newExecutor(t, Options{}).Limits())
}

// recordCgroups makes e note the directories of every attempt cgroup it
// creates.
func recordCgroups(e *Executor) func() []string {
	var mu sync.Mutex
	var dirs []string
	e.cgroupCreated = func(d []string) {
		mu.Lock()
		defer mu.Unlock()
		dirs = append(dirs, d...)
	}
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return dirs
	}
}

// assertRemoved checks that the attempt cgroups were used and, once e is
// closed, removed: every one that was not kept for reuse already.
func assertRemoved(t *testing.T, e *Executor, dirs []string) {
	t.Helper()
	if len(dirs) == 0 {
		t.Fatal("no cgroup was created")
	}
	if err := e.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	for _, d := range dirs {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("cgroup %s left behind (%v)", d, err)
		}
	}
}
