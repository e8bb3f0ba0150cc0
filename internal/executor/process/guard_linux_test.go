package process

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/executor"
)

// guardedHelperEnv makes the test binary a process that runs one guarded
// attempt until it is killed (guardedHelper).
const guardedHelperEnv = "GANTRY_TEST_GUARDED_HELPER"

func TestMain(m *testing.M) {
	RunGuardIfAsked(reportToFile)
	if dir := os.Getenv(guardedHelperEnv); dir != "" {
		guardedHelper(dir)
		return
	}
	os.Exit(m.Run())
}

// reportToFile is the tests' Reporter: it appends "id tag" lines to the
// file named by config, when there is one.
func reportToFile(config string, r Report) {
	if config == "" {
		return
	}
	f, err := os.OpenFile(config, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	for _, k := range r.Killed {
		fmt.Fprintf(f, "%d %s\n", k.ID, k.Tag)
	}
	for _, id := range r.Survivors {
		fmt.Fprintf(f, "survivor %d\n", id)
	}
	if r.Ended {
		fmt.Fprintln(f, "ended")
	}
}

// guardedHelper runs, under a guard, an attempt that leaves a process
// outside its process group, and writes the guard's pid to dir/guard.pid.
// It never returns: the test kills it.
func guardedHelper(dir string) {
	g, err := StartGuard(os.Args[0], filepath.Join(dir, "report"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	g.Until(7, time.Now().Add(time.Hour), "fence-7")
	e, err := New(Options{Guard: g, DisableCgroups: os.Getenv("GANTRY_TEST_NO_CGROUPS") == "1"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := os.WriteFile(filepath.Join(dir, "guard.pid"), []byte(strconv.Itoa(g.cmd.Process.Pid)), 0o644); err != nil {
		os.Exit(2)
	}
	res := e.Run(context.Background(), executor.Attempt{
		AttemptID: 7, Dir: dir, Command: leaveAndSleep,
		LogPath: filepath.Join(dir, "task.log"), OutputPath: filepath.Join(dir, "task.out"),
	})
	fmt.Fprintf(os.Stderr, "the attempt ended under a live helper: %+v\n", res)
	os.Exit(3)
}

// leaveAndSleep writes the shell's pid and that of a process that left
// its process group, then sleeps.
const leaveAndSleep = `setsid sh -c 'echo $$ > escaped.pid.tmp; mv escaped.pid.tmp escaped.pid; exec sleep 1000' &
echo $$ > shell.pid.tmp; mv shell.pid.tmp shell.pid
sleep 1000`

// The process that runs the executor killed with -9 mid-attempt: its
// guard kills every process of the attempt, the one that left the
// process group too, and exits. Nothing of the attempt outlives it, so
// the retry another worker makes never runs beside it.
func TestGuardEndsTheAttemptsOfAKilledProcess(t *testing.T) {
	t.Parallel()
	for name, noCgroups := range map[string]string{"cgroups": "0", "no cgroups": "1"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), guardedHelperEnv+"="+dir, "GANTRY_TEST_NO_CGROUPS="+noCgroups)
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			waitFor(t, func() bool {
				select {
				case err := <-exited:
					t.Fatalf("the helper exited before it was killed: %v", err)
				default:
				}
				return fileExists(filepath.Join(dir, "shell.pid")) && fileExists(filepath.Join(dir, "escaped.pid"))
			})
			shell, escaped := readPID(t, filepath.Join(dir, "shell.pid")), readPID(t, filepath.Join(dir, "escaped.pid"))
			guard := readPID(t, filepath.Join(dir, "guard.pid"))
			t.Cleanup(func() {
				_ = syscall.Kill(-shell, syscall.SIGKILL)
				_ = syscall.Kill(escaped, syscall.SIGKILL)
				_ = syscall.Kill(guard, syscall.SIGKILL)
			})
			if !running(shell) || !running(escaped) {
				t.Fatal("the attempt is not running before the kill")
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-exited
			assertGone(t, shell)
			assertGone(t, escaped)
			assertGone(t, guard)
			// Told once they were gone, with the worker's tag.
			if got := readFileOr(filepath.Join(dir, "report")); got != "7 fence-7\nended\n" {
				t.Errorf("the guard reported %q, want attempt 7 with its tag", got)
			}
		})
	}
}

// An attempt whose deadline passes without being moved on is killed by
// the guard, whatever the process that runs it does (here it does
// nothing: it could be stopped); one whose deadline is moved on runs to
// its end.
func TestGuardKillsAnAttemptAtItsDeadline(t *testing.T) {
	t.Parallel()
	report := filepath.Join(t.TempDir(), "report")
	g, err := StartGuard(os.Args[0], report)
	if err != nil {
		t.Fatal(err)
	}
	e := newExecutor(t, Options{Guard: g})

	t.Run("passed", func(t *testing.T) {
		t.Parallel()
		a := attempt(t, leaveAndSleep)
		a.AttemptID = 101
		deadline := time.Now().Add(300 * time.Millisecond)
		g.Until(a.AttemptID, deadline, "fence-101")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // only if the guard fails
		defer cancel()
		res := e.Run(ctx, a)
		g.Release(a.AttemptID)
		if res.Outcome != executor.Failed || res.Signal != "killed" {
			t.Errorf("outcome %s, signal %q, want failed, killed", res.Outcome, res.Signal)
		}
		if res.FinishedAt.Before(deadline) {
			t.Errorf("killed %s before its deadline", deadline.Sub(res.FinishedAt))
		}
		assertGone(t, readPID(t, filepath.Join(a.Dir, "escaped.pid")))
	})
	t.Cleanup(func() {
		// Closed once all ran: the attempt killed at its deadline is
		// reported, once, and at the close the one never released.
		if err := g.Close(); err != nil {
			t.Error(err)
		}
		// 101's report (after its kill) and the close's race: any order,
		// each once, the close's "ended" last.
		lines := strings.Split(strings.TrimSuffix(readFileOr(report), "\n"), "\n")
		if len(lines) > 0 && lines[len(lines)-1] == "ended" {
			slices.Sort(lines[:len(lines)-1])
		}
		if got := strings.Join(lines, "\n"); got != "101 fence-101\n103 fence-103\nended" {
			t.Errorf("the guard reported %q, want attempts 101 and 103 once each, then ended", got)
		}
	})
	t.Run("moved on", func(t *testing.T) {
		t.Parallel()
		// Past the first deadline, with room for a starved guard to read
		// the second message before the first would fire.
		a := attempt(t, "sleep 2")
		a.AttemptID = 102
		g.Until(a.AttemptID, time.Now().Add(1500*time.Millisecond), "fence-102")
		g.Until(a.AttemptID, time.Now().Add(time.Hour), "fence-102")
		if res := e.Run(context.Background(), a); res.Outcome != executor.Succeeded {
			t.Errorf("outcome %s (%s), want succeeded: the deadline was moved on", res.Outcome, res.Error)
		}
		g.Release(a.AttemptID)
	})
	t.Run("ended, not released", func(t *testing.T) {
		// A worker that dies after its attempt ended but before recording
		// it: the guard reports it, with nothing to kill.
		t.Parallel()
		a := attempt(t, "true")
		a.AttemptID = 103
		g.Until(a.AttemptID, time.Now().Add(time.Hour), "fence-103")
		if res := e.Run(context.Background(), a); res.Outcome != executor.Succeeded {
			t.Errorf("outcome %s (%s), want succeeded", res.Outcome, res.Error)
		}
	})
}

// A guard that dies is seen through Done, and telling it more afterwards
// neither blocks nor panics: it reports the error.
func TestGuardDeathIsSeen(t *testing.T) {
	t.Parallel()
	g, err := StartGuard(os.Args[0], "")
	if err != nil {
		t.Fatal(err)
	}
	if err := g.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-g.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed 5s after the guard was killed")
	}
	g.Until(1, time.Now(), "")
	g.Until(2, time.Now(), "")
	if g.Err() == nil {
		t.Error("Err is nil after telling a dead guard")
	}
	_ = g.Close()
}

func readFileOr(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// An attempt some of whose processes would not die (here a stand-in
// cgroup holding pid 1, which SIGKILL does not end: a task in
// uninterruptible sleep behaves alike) is reported a survivor, in the
// last report too, so its claim is not given up while it may still run.
func TestGuardReportsSurvivors(t *testing.T) {
	t.Parallel()
	cg := t.TempDir()
	if err := os.WriteFile(filepath.Join(cg, "cgroup.procs"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, w := io.Pipe()
	reports := make(chan Report, 4)
	done := make(chan struct{})
	go func() {
		defer close(done)
		serveGuard(r, io.Discard, func(_ string, rep Report) { reports <- rep })
	}()
	enc := json.NewEncoder(w)
	for _, m := range []guardMsg{
		{Op: "config", Config: "x"},
		{Op: "until", ID: 7, Until: time.Now().Add(time.Hour).UnixNano(), Tag: "42"},
		{Op: "add", ID: 7, Version: "v1", Cgroups: []string{cg}},
	} {
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
	}
	_ = w.Close() // the worker dies
	select {
	case <-done:
	case <-time.After(killTimeout + 10*time.Second):
		t.Fatal("the guard did not end")
	}
	close(reports)
	var got []Report
	for rep := range reports {
		got = append(got, rep)
	}
	if len(got) != 1 || !got[0].Ended || len(got[0].Killed) != 0 || !slices.Equal(got[0].Survivors, []int64{7}) {
		t.Errorf("reports %+v, want one, ended, with attempt 7 a survivor and nothing killed", got)
	}
}

// A guard that stops reading (stopped, say) is taken for dead once a
// write to it times out: it is killed, Done closes, and the worker's
// sends neither block nor panic.
func TestGuardThatStopsReadingIsTakenForDead(t *testing.T) {
	t.Parallel()
	g, err := StartGuard(os.Args[0], "")
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := g.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for i := range 5000 { // well past a pipe's buffer
			g.Until(int64(i), time.Now().Add(time.Hour), "tag")
		}
	}()
	select {
	case <-g.Done():
	case <-time.After(guardWriteTimeout + 10*time.Second):
		t.Fatal("Done not closed: a stopped guard blocks the worker")
	}
	select {
	case <-sent:
	case <-time.After(10 * time.Second):
		t.Fatal("sends still block after the guard was taken for dead")
	}
	if g.Err() == nil {
		t.Error("Err is nil after a write timed out")
	}
}
