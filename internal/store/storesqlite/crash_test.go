package storesqlite_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// helperEnv names the database TestHelperProcess writes to; it is set only
// in the child process TestCrashDurability starts.
const helperEnv = "GANTRY_STORESQLITE_CRASH_DB"

// TestCrashDurability kills a process that is committing batches as fast as
// it can and checks that every batch it reported committed survived.
func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	t.Parallel()
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const killAfter = 300
	var committed []int64
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		idText, ok := strings.CutPrefix(sc.Text(), "committed ")
		if !ok {
			continue
		}
		id, err := strconv.ParseInt(idText, 10, 64)
		if err != nil {
			t.Fatalf("child printed %q", sc.Text())
		}
		committed = append(committed, id)
		if len(committed) == killAfter && !killed {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL: no chance to clean up
				t.Fatal(err)
			}
			killed = true
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("child ended after %d commits without being killed", len(committed))
	}

	s := openAt(t, path)
	for _, id := range committed {
		a, err := s.GetAttempt(t.Context(), id)
		if err != nil {
			t.Fatalf("attempt %d reported committed before the kill: %v", id, err)
		}
		if a.State != record.TaskRunning || a.Task != "t" {
			t.Fatalf("attempt %d: %+v", id, a)
		}
	}
	runs, err := s.ListRuns(t.Context(), store.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.ListAttempts(t.Context(), runs[0].ID, "")
	if err != nil {
		t.Fatal(err)
	}
	// At most the batch in flight at the kill can be there unreported.
	if len(all) < len(committed) || len(all) > len(committed)+1 {
		t.Errorf("%d attempts after the crash, %d reported committed", len(all), len(committed))
	}
	t.Logf("child killed after %d reported commits; %d attempts stored", len(committed), len(all))
}

// TestHelperProcess is the child of TestCrashDurability: it commits batches
// until killed, printing each committed attempt ID.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("only runs as the child of TestCrashDurability")
	}
	s, err := storesqlite.Open(t.Context(), path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	run := record.Run{Pipeline: "crash", Trigger: record.TriggerManual}
	if err := s.CreateRun(t.Context(), &run, []string{"t"}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := 1; i < 1_000_000; i++ {
		a := &record.TaskAttempt{RunID: run.ID, Task: "t", Attempt: i, State: record.TaskRunning}
		b := &store.Batch{
			Tasks:  []record.RunTask{{RunID: run.ID, Task: "t", State: record.TaskRunning, Attempts: i}},
			Insert: []*record.TaskAttempt{a},
		}
		if err := s.Apply(t.Context(), b); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		// Unbuffered: the parent sees the line as soon as Apply returned.
		fmt.Fprintf(os.Stdout, "committed %d\n", a.ID)
	}
	os.Exit(3) // never reached in time: the parent kills first
}
