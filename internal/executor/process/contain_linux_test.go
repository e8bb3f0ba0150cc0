package process

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
)

// escapee starts a process that leaves the attempt's process group and
// touches "escaped" once it has; the task waits for that, so the process
// has really left the group before the task ends.
const escapee = `sh -c 'touch escaped; exec sleep 1000'`

// waitEscaped is the task waiting for its escapee.
const waitEscaped = "\nuntil [ -e escaped ]; do sleep 0.01; done"

// containCases are the shapes of escape, each ending one way.
var containCases = []struct {
	name    string
	command string
	want    executor.Outcome
	timeout time.Duration
	cancel  bool
}{
	{name: "setsid &", command: `setsid ` + escapee + ` &` + waitEscaped, want: executor.Succeeded},
	{name: "setsid -f", command: `setsid -f ` + escapee + waitEscaped, want: executor.Succeeded},
	{name: "double fork", command: `( setsid ` + escapee + ` & )` + waitEscaped, want: executor.Succeeded},
	{name: "nohup setsid", command: `nohup setsid ` + escapee + ` > /dev/null 2>&1 &` + waitEscaped, want: executor.Succeeded},
	{name: "failed", command: `setsid ` + escapee + ` &` + waitEscaped + `; exit 3`, want: executor.Failed},
	{name: "timed out", command: `setsid ` + escapee + ` &` + waitEscaped + `; sleep 1000`, want: executor.TimedOut, timeout: 300 * time.Millisecond},
	{name: "cancelled", command: `setsid ` + escapee + ` &` + waitEscaped + `; touch waiting; sleep 1000`, want: executor.Cancelled, cancel: true},
	// No waiting: the escapee may be anywhere between fork and exec when
	// the task ends.
	{name: "setsid sleep & exit", command: `setsid sleep 1000 &`, want: executor.Succeeded},
	{name: "setsid -f sleep & exit", command: `setsid -f sleep 1000`, want: executor.Succeeded},
}

// TestRunContainsEscapees checks that whatever an attempt leaves running,
// however it left the process group, is gone when Run returns: through the
// attempt's cgroup where one is writable, and through its environment
// where cgroups are off.
func TestRunContainsEscapees(t *testing.T) {
	t.Parallel()
	backends := []struct {
		name string
		exec func(t *testing.T) *Executor
	}{
		{"cgroup", cgroupExecutor},
		{"cgroup v2 without controllers", func(t *testing.T) *Executor { return v2OnlyExecutor(t) }},
		{"environment scan", func(t *testing.T) *Executor { return newExecutor(t, Options{DisableCgroups: true}) }},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := b.exec(t)
			cgroups := recordCgroups(e)
			// The group returns once its parallel cases have.
			t.Run("cases", func(t *testing.T) {
				for _, c := range containCases {
					t.Run(c.name, func(t *testing.T) {
						t.Parallel()
						a, mark := markedAttempt(t, c.command)
						a.Timeout = c.timeout
						ctx := context.Background()
						if c.cancel {
							var cancel context.CancelFunc
							ctx, cancel = context.WithCancel(ctx)
							defer cancel()
							go func() {
								for ctx.Err() == nil && !fileExists(filepath.Join(a.Dir, "waiting")) {
									time.Sleep(5 * time.Millisecond)
								}
								cancel()
							}()
						}
						res := e.Run(ctx, a)
						wantOutcome(t, res, c.want)
						if left := marked(mark); len(left) > 0 {
							t.Errorf("left running: %v", left)
						}
					})
				}
			})
			if e.cgroups != nil {
				assertRemoved(t, e, cgroups()) // each case had its own
			}
		})
	}
}

// TestRunEnvironmentScanSparesOthers checks that the scan kills only the
// attempt's own processes: not one whose attempt id merely starts with the
// same digits, nor one of another project (same attempt id, another
// output file).
func TestRunEnvironmentScanSparesOthers(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, Options{DisableCgroups: true})
	a, mark := markedAttempt(t, `setsid `+escapee+` &`+waitEscaped)
	id := mark[0][len("GANTRY_ATTEMPT_ID="):]
	similar := startOther(t, "GANTRY_ATTEMPT_ID="+id+"0", "GANTRY_OUTPUT="+a.OutputPath+"0")
	otherProject := startOther(t, "GANTRY_ATTEMPT_ID="+id, "GANTRY_OUTPUT="+a.OutputPath+".elsewhere")
	wantOutcome(t, e.Run(context.Background(), a), executor.Succeeded)
	if left := marked(mark); len(left) > 0 {
		t.Errorf("escapee left running: %v", left)
	}
	if !running(similar) {
		t.Error("a process with a similar attempt id was killed")
	}
	if !running(otherProject) {
		t.Error("a process with the same attempt id but another output file was killed")
	}
}

// TestRunCgroupFigures checks that with a cgroup, an attempt's peak
// memory and CPU time count its whole tree, escapees included.
func TestRunCgroupFigures(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, Options{})
	if e.cgroups == nil || !e.cgroups.memory {
		t.Skipf("no writable cgroup memory controller: %s", e.Limits().Note)
	}
	cgroups := recordCgroups(e)
	// Two children of 32 MiB at once: no single process reaches 64 MiB,
	// the tree does.
	hold := `perl -e '$x = "a" x (32*1024*1024); open F, ">", shift; close F; sleep 1000' `
	// The escapee, double-forked so that no wait of the task's counts
	// it, spins half a second once both hold their memory, then lets the
	// task end; the task itself waits on the fifo, spending nothing.
	spin := `setsid perl -e '1 until -e "held1" && -e "held2"; 1 while (times)[0] < 0.5; open F, ">", "fifo"; print F "x\n"; close F'`
	a, _ := markedAttempt(t, `mkfifo fifo; `+hold+`held1 & `+hold+`held2 & `+`( `+spin+` & ); read x < fifo`)
	res := e.Run(context.Background(), a)
	wantOutcome(t, res, executor.Succeeded)
	t.Logf("%s: peak %s, cpu %v", e.cgroups.version, formatBytes(res.PeakMemory), res.CPUTime)
	if res.PeakMemory < 64<<20 {
		t.Errorf("peak %s, want at least the 64Mi both children held", formatBytes(res.PeakMemory))
	}
	if res.CPUTime < 500*time.Millisecond {
		t.Errorf("cpu %v, want at least the 500ms the escapee spun", res.CPUTime)
	}
	assertRemoved(t, e, cgroups())
}

// TestRunEveryAttemptHasACgroup checks that an attempt without limits
// gets, and then loses, its own cgroup.
func TestRunEveryAttemptHasACgroup(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, Options{})
	if e.cgroups == nil {
		t.Skipf("no writable cgroup: %s", e.Limits().Note)
	}
	cgroups := recordCgroups(e)
	a, _ := markedAttempt(t, `cat /proc/self/cgroup`)
	wantOutcome(t, e.Run(context.Background(), a), executor.Succeeded)
	assertRemoved(t, e, cgroups())
	log := readLog(t, a)
	for _, d := range cgroups() {
		if !bytes.Contains([]byte(log), []byte(filepath.Base(d))) {
			t.Errorf("the task was not in %s: %s", d, log)
		}
	}
}

var markSeq atomic.Int64

// markedAttempt returns an attempt whose environment carries a
// GANTRY_ATTEMPT_ID no other test uses (and no id with one more digit
// either), and the entries that mark its processes.
func markedAttempt(t *testing.T, command string) (executor.Attempt, []string) {
	a := attempt(t, command)
	id := fmt.Sprintf("9%d%03d", os.Getpid(), markSeq.Add(1))
	a.Env = []string{"GANTRY_ATTEMPT_ID=" + id}
	mark := []string{"GANTRY_ATTEMPT_ID=" + id, "GANTRY_OUTPUT=" + a.OutputPath}
	t.Cleanup(func() {
		// What a failing case left behind.
		for _, p := range marked(mark) {
			pid, _, _ := strings.Cut(p, " ")
			n, _ := strconv.Atoi(pid)
			_ = syscall.Kill(n, syscall.SIGKILL)
		}
	})
	return a, mark
}

// marked lists the live processes whose environment holds every entry of
// mark; one already dying (PF_EXITING) or a zombie does not count.
func marked(mark []string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, ent := range entries {
		if _, err := strconv.Atoi(ent.Name()); err != nil {
			continue
		}
		env, err := os.ReadFile("/proc/" + ent.Name() + "/environ")
		if err != nil {
			continue
		}
		all := true
		for _, kv := range mark {
			all = all && bytes.Contains(append([]byte{0}, env...), []byte("\x00"+kv+"\x00"))
		}
		if !all || dying(ent.Name()) {
			continue
		}
		cmdline, _ := os.ReadFile("/proc/" + ent.Name() + "/cmdline")
		out = append(out, ent.Name()+" "+string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
	}
	return out
}

// dying reports whether /proc/<pid>/stat shows a zombie or a process
// already exiting.
func dying(pid string) bool {
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return true
	}
	f := bytes.Fields(stat[bytes.LastIndexByte(stat, ')')+1:])
	flags, _ := strconv.ParseUint(string(f[6]), 10, 64) // field 9
	return f[0][0] == 'Z' || f[0][0] == 'X' || flags&0x4 != 0
}

// startOther starts a process of no attempt, in its own session, with env.
func startOther(t *testing.T, env ...string) int {
	t.Helper()
	cmd := exec.Command("sleep", "1000")
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd.Process.Pid
}

// cgroupExecutor returns an executor with the cgroup this machine gives;
// it skips where there is none.
func cgroupExecutor(t *testing.T) *Executor {
	e := newExecutor(t, Options{})
	if e.cgroups == nil {
		t.Skipf("no writable cgroup: %s", e.Limits().Note)
	}
	return e
}

// v2OnlyExecutor returns an executor whose attempts run in cgroups of a
// writable cgroup2 hierarchy without controllers, as on hybrid machines
// and in containers that delegate none; it skips where there is none.
func v2OnlyExecutor(t testing.TB) *Executor {
	own, err := ownCgroups()
	if err != nil {
		t.Skip(err)
	}
	v2, _, err := cgroupMounts("")
	if err != nil || v2.mount == "" {
		t.Skip("no cgroup2 mount")
	}
	base := filepath.Join(cgroupDir(v2, own[""]), fmt.Sprintf("gantry-test-%d-%d", os.Getpid(), markSeq.Add(1)))
	if err := os.Mkdir(base, 0o755); err != nil {
		t.Skipf("cgroup2 not writable: %v", err)
	}
	t.Cleanup(func() {
		if err := os.Remove(base); err != nil {
			t.Errorf("remove %s: %v", base, err)
		}
	})
	e := newExecutor(t, Options{DisableCgroups: true})
	e.cgroups = &cgroupSetup{version: "v2", v2Base: base}
	return e
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestDetectBareCgroupV2 checks that a writable cgroup2 hierarchy that
// delegates no controller is still used to contain attempts when nothing
// better is writable.
func TestDetectBareCgroupV2(t *testing.T) {
	t.Parallel()
	own, err := ownCgroups()
	v2, _, merr := cgroupMounts("")
	if err != nil || merr != nil || v2.mount == "" || v2.root != "/" || own[""] != "/" {
		t.Skip("no cgroup2 mount this process is at the root of")
	}
	ctrl, err := os.ReadFile(filepath.Join(v2.mount, "cgroup.subtree_control"))
	if err != nil || len(bytes.TrimSpace(ctrl)) > 0 {
		t.Skipf("cgroup2 delegates controllers (%q) or is unreadable (%v)", ctrl, err)
	}
	probe := filepath.Join(v2.mount, fmt.Sprintf("gantry-test-probe-%d", os.Getpid()))
	if err := os.Mkdir(probe, 0o755); err != nil {
		t.Skipf("cgroup2 not writable: %v", err)
	}
	_ = os.Remove(probe)
	// Only the cgroup2 hierarchy is under this root: no v1 to prefer.
	e := newExecutor(t, Options{CgroupRoot: v2.mount})
	if e.cgroups == nil {
		t.Fatalf("writable cgroup2 at %s unused: %s", v2.mount, e.Limits().Note)
	}
	if got := e.Limits(); got.Cgroup != "v2" || got.Memory || got.CPU {
		t.Errorf("Limits() = %+v, want v2 enforcing nothing", got)
	}
	cgroups := recordCgroups(e)
	a, mark := markedAttempt(t, `setsid `+escapee+` &`+waitEscaped)
	wantOutcome(t, e.Run(context.Background(), a), executor.Succeeded)
	if left := marked(mark); len(left) > 0 {
		t.Errorf("left running: %v", left)
	}
	assertRemoved(t, e, cgroups())
}
