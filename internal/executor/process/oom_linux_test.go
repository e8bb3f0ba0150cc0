package process

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/executor"
)

// needMemoryCgroup skips a test that needs a writable cgroup memory
// controller where there is none, and fails it in CI, where one must be.
func needMemoryCgroup(t *testing.T, e *Executor) {
	t.Helper()
	if e.Limits().Memory {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI needs a writable cgroup memory controller: %s", e.Limits().Note)
	}
	t.Skipf("no writable cgroup memory controller: %s", e.Limits().Note)
}

// hogChild is a task whose child goes over the limit and is killed by the
// kernel while the shell itself, far under it, waits and exits 0.
const hogChild = `perl -e '$x = "a" x (200*1024*1024); sleep 5' & wait $!; echo "child ended $?"; exit 0`

// A child the kernel killed for memory makes the attempt memory_exceeded
// even though its main process exited 0, and the kill is counted.
func TestOOMKilledChildFailsTheAttempt(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, Options{})
	needMemoryCgroup(t, e)
	cgroups := recordCgroups(e)

	a := attempt(t, hogChild)
	a.MemoryLimit = 32 << 20
	res := e.Run(context.Background(), a)
	t.Logf("%s: %+v", e.Limits().Cgroup, res)
	if log := readLog(t, a); !strings.Contains(log, "child ended 137") {
		t.Fatalf("the child was not killed by SIGKILL, log:\n%s", log)
	}
	if res.ExitCode != 0 {
		t.Errorf("exit code %d, want the shell's 0", res.ExitCode)
	}
	wantOutcome(t, res, executor.MemoryExceeded)
	if res.OOMKills < 1 {
		t.Errorf("OOMKills %d, want at least 1", res.OOMKills)
	}
	if !strings.HasPrefix(res.Error, "memory limit 32Mi exceeded (peak ") || !strings.Contains(res.Error, "killed by the kernel") {
		t.Errorf("error %q, want the limit and the kernel's kills", res.Error)
	}
	assertRemoved(t, e, cgroups())
}

// Under the limit, a cgroup counts no kill and the attempt succeeds.
func TestNoOOMKillSucceeds(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, Options{})
	needMemoryCgroup(t, e)
	a := attempt(t, `perl -e '$x = "a" x (4*1024*1024)' & wait; exit 0`)
	a.MemoryLimit = 64 << 20
	res := e.Run(context.Background(), a)
	wantOutcome(t, res, executor.Succeeded)
	if res.OOMKills != 0 || res.Error != "" {
		t.Errorf("OOMKills %d, error %q, want none", res.OOMKills, res.Error)
	}
}
