package process

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

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
		{"this machine", cgroupExecutor},
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
			// Only v1 cgroups are kept (see Reuse): on v2 every attempt
			// gets a cgroup of its own.
			reuse := e.cgroups.version == "v1"
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
			wantMade(3, 1, "after an escapee")

			// Other limits: a cgroup of its own.
			other, _ := run("true", 64<<20)
			wantOutcome(t, other, executor.Succeeded)
			wantMade(3, 2, "an attempt with a memory limit")

			if e.cgroups.version == "v2" {
				// A task that kills its own cgroup through cgroup.kill
				// (the kernel then kills whatever is cloned into it): the
				// next attempt is not started in it.
				own := `d=$(sed -n 's/^0:://p' /proc/self/cgroup); echo 1 > "/sys/fs/cgroup/unified$d/cgroup.kill"`
				if _, err := os.Stat("/sys/fs/cgroup/unified"); err != nil {
					own = `d=$(sed -n 's/^0:://p' /proc/self/cgroup); echo 1 > "/sys/fs/cgroup$d/cgroup.kill"`
				}
				killed, _ := run(own, 0)
				t.Logf("self-killed attempt: %s %s", killed.Outcome, killed.Error)
				for range 2 {
					next, _ := run("true", 0)
					wantOutcome(t, next, executor.Succeeded)
				}
			}

			if e.cgroups.memory && reuse {
				heavy, _ := run(`perl -e '$x = "a" x (100*1024*1024)'`, 0)
				wantOutcome(t, heavy, executor.Succeeded)
				light, _ := run("true", 0)
				wantOutcome(t, light, executor.Succeeded)
				if heavy.PeakMemory < 100<<20 || light.PeakMemory >= 20<<20 {
					t.Errorf("peak %s after a peak of %s: the earlier attempt's peak is counted again",
						formatBytes(light.PeakMemory), formatBytes(heavy.PeakMemory))
				}

				killed, _ := run(allocate200M, 64<<20)
				wantOutcome(t, killed, executor.MemoryExceeded)
				calm, _ := run("true", 64<<20)
				wantOutcome(t, calm, executor.Succeeded)
				if calm.OOMKills != 0 {
					t.Errorf("%d OOM kills counted for an attempt after one the kernel killed", calm.OOMKills)
				}

				// A file's page cache stays charged to the cgroup that
				// wrote it: the next attempt would start over its peak.
				// (Whether perl's own pages stayed charged to a cgroup
				// above, and so whether it was kept, depends on the page
				// cache: only the figures are checked there.)
				writer, wa := run("head -c 16777216 /dev/zero > big", 0)
				wantOutcome(t, writer, executor.Succeeded)
				before := made()
				next, _ := run("true", 0)
				wantOutcome(t, next, executor.Succeeded)
				if made() != before+1 {
					t.Errorf("the attempt after one that left 16 MiB of page cache was given its cgroup")
				}
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

// TestCgroupReuseAfterTampering: a task may write its own cgroup's files.
// Whatever it changes there stays with the cgroup, so the cgroup is not
// handed to the next attempt: that one has no limit the task set, and no
// process the task hid in a child cgroup counts toward its figures.
func TestCgroupReuseAfterTampering(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, Options{})
	if e.cgroups == nil || e.cgroups.version != "v1" || e.cgroups.v1Memory == "" {
		t.Skipf("cgroups are kept only on v1 with the memory controller: %s", e.Limits().Note)
	}
	var mu sync.Mutex
	var made [][]string
	e.cgroupCreated = func(d []string) {
		mu.Lock()
		defer mu.Unlock()
		made = append(made, d)
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(made)
	}
	run := func(command string) executor.Result {
		t.Helper()
		a := attempt(t, command)
		a.Env = append(a.Env, "BASE="+e.cgroups.v1Memory)
		return e.Run(context.Background(), a)
	}
	// The task's own memory cgroup directory.
	const own = `d=$(sed -n 's/^[0-9]*:memory:.*\///p' /proc/self/cgroup); d="$BASE/$d"; `

	wantOutcome(t, run("true"), executor.Succeeded)
	wantOutcome(t, run(own+`echo 33554432 > "$d/memory.limit_in_bytes"`), executor.Succeeded)
	before := count()
	wantOutcome(t, run(allocate200M[:len(allocate200M)-len(`; sleep 5'`)]+`'`), executor.Succeeded)
	if count() != before+1 {
		t.Errorf("a cgroup whose memory limit a task lowered was handed on")
	}

	pidFile := filepath.Join(t.TempDir(), "hidden.pid")
	hide := own + `mkdir "$d/sub" && setsid sh -c 'echo $$ > "$1"; exec sh -c "while :; do :; done"' _ ` + pidFile + ` & ` +
		`while [ ! -s ` + pidFile + ` ]; do :; done; cat ` + pidFile + ` > "$d/sub/cgroup.procs"`
	wantOutcome(t, run(hide), executor.Succeeded)
	t.Cleanup(func() {
		if data, err := os.ReadFile(pidFile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, d := range made {
			for _, dir := range d {
				for range 100 {
					if err := syscall.Rmdir(filepath.Join(dir, "sub")); err != syscall.EBUSY {
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		}
	})
	before = count()
	quick := run("true")
	wantOutcome(t, quick, executor.Succeeded)
	if count() != before+1 {
		t.Errorf("a cgroup with a child cgroup a task made was handed on")
	}
	if quick.CPUTime > 50*time.Millisecond {
		t.Errorf("true used %v of CPU: a process hidden by an earlier attempt counts toward it", quick.CPUTime)
	}
}

// TestRemoveStale: a start removes the cgroups of Gantry processes that
// died, also when a new process has the dead one's pid (a container's
// first process, restarted), and keeps the live ones'.
func TestRemoveStale(t *testing.T) {
	t.Parallel()
	e := v2OnlyExecutor(t)
	base := e.cgroups.v2Base
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	me := os.Getpid()
	names := map[string]bool{ // name: stale
		fmt.Sprintf("%d-%d-1", me, ownStart()):   false,
		fmt.Sprintf("%d-%d-2", me, ownStart()+1): true, // another process with this pid
		fmt.Sprintf("%d-7", dead.Process.Pid):    true, // the names before start times
		fmt.Sprintf("%d-1-3", dead.Process.Pid):  true,
	}
	for name := range names {
		if err := os.Mkdir(filepath.Join(base, name), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = syscall.Rmdir(filepath.Join(base, name)) })
	}
	removeStale(base)
	for name, stale := range names {
		_, err := os.Stat(filepath.Join(base, name))
		if gone := os.IsNotExist(err); gone != stale {
			t.Errorf("%s: removed %v, want %v", name, gone, stale)
		}
	}
}

// tamperSetup is an executor on cgroup v1 with the memory and cpuacct
// hierarchies, the number of cgroups it has made, and a run whose tasks
// find the two gantry folders in $BASEM and $BASEA and their own cgroup's
// name in $n.
func tamperSetup(t *testing.T) (*Executor, func() int, func(string) executor.Result) {
	t.Helper()
	e := newExecutor(t, Options{})
	if e.cgroups == nil || e.cgroups.version != "v1" || e.cgroups.v1Memory == "" || e.cgroups.v1CPUAcct == "" {
		t.Skipf("cgroups are kept only on v1; this test needs its memory and cpuacct hierarchies: %s", e.Limits().Note)
	}
	var mu sync.Mutex
	n := 0
	e.cgroupCreated = func([]string) {
		mu.Lock()
		defer mu.Unlock()
		n++
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return n
	}
	return e, count, func(command string) executor.Result {
		t.Helper()
		a := attempt(t, `n=$(sed -n 's/^[0-9]*:memory:.*\///p' /proc/self/cgroup); `+command)
		a.Env = append(a.Env, "BASEM="+e.cgroups.v1Memory, "BASEA="+e.cgroups.v1CPUAcct)
		return e.Run(context.Background(), a)
	}
}

// readPid waits for a process of a task to write its pid to file, and
// kills it when the test ends.
func readPid(t *testing.T, file string) int {
	t.Helper()
	var pid int
	waitFor(t, func() bool {
		data, err := os.ReadFile(file)
		if err != nil || !strings.HasSuffix(string(data), "\n") {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(data)))
		return err == nil
	})
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	return pid
}

// TestCgroupReuseAfterIntruder: a process of an attempt leaves its cgroup
// for the parent, so the attempt ends empty and its cgroup is kept, and
// then moves itself back in. The next attempt does not get that cgroup.
func TestCgroupReuseAfterIntruder(t *testing.T) {
	t.Parallel()
	_, count, run := tamperSetup(t)
	dir := t.TempDir()
	left, back, pidFile := filepath.Join(dir, "left"), filepath.Join(dir, "back"), filepath.Join(dir, "pid")
	res := run(`setsid sh -c 'echo $$ > "$BASEM/cgroup.procs"; echo $$ > "$BASEA/cgroup.procs"; : > ` + left + `
		while [ ! -e ` + back + ` ]; do sleep 0.01; done
		echo $$ > "$BASEM/$0/cgroup.procs"; echo $$ > "$BASEA/$0/cgroup.procs"; echo $$ > ` + pidFile + `
		exec sh -c "while :; do :; done"' "$n" </dev/null >/dev/null 2>&1 &
		while [ ! -e ` + left + ` ]; do sleep 0.01; done`)
	wantOutcome(t, res, executor.Succeeded)
	if err := os.WriteFile(back, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	intruder := readPid(t, pidFile)
	before := count()
	quick := run("true")
	wantOutcome(t, quick, executor.Succeeded)
	if count() != before+1 {
		t.Errorf("the next attempt was given the cgroup process %d moved itself back into (CPU %v)", intruder, quick.CPUTime)
	}
}

// TestCgroupRenamedByItsTask: a task renames its cgroup's directories and
// makes empty ones under their names. Its processes are still found and
// killed where the directories went, the next attempt is not joined into
// them, and nothing is left once the executor is closed.
func TestCgroupRenamedByItsTask(t *testing.T) {
	t.Parallel()
	e, _, run := tamperSetup(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	res := run(`for b in "$BASEM" "$BASEA"; do mv "$b/$n" "$b/$n.x" && mkdir "$b/$n" || exit 1; done
		setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > ` + pidFile)
	wantOutcome(t, res, executor.Succeeded)
	assertGone(t, readPid(t, pidFile))
	out := filepath.Join(t.TempDir(), "cgroup")
	wantOutcome(t, run(`grep memory /proc/self/cgroup > `+out), executor.Succeeded)
	if data, _ := os.ReadFile(out); strings.Contains(string(data), ".x") {
		t.Errorf("the next attempt ran in the renamed cgroup: %s", data)
	}
	if err := e.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	for _, base := range []string{e.cgroups.v1Memory, e.cgroups.v1CPUAcct} {
		ents, _ := os.ReadDir(base)
		for _, ent := range ents {
			if strings.HasPrefix(ent.Name(), strconv.Itoa(os.Getpid())+"-") && strings.HasSuffix(ent.Name(), ".x") {
				t.Errorf("%s left behind", filepath.Join(base, ent.Name()))
			}
		}
	}
}
