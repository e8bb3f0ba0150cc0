package cli_test

// The store failing under a real `gantry serve`: PostgreSQL restarted with
// `pg_ctl restart -m fast` and stopped for 12 s while runs are in flight,
// and SQLite on a full disk. Every run must then finish, /readyz must say
// not ready while writes fail, and SIGTERM must end the server in time even
// while the store is down.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// outagePipeline is a chain of six tasks of 0.3 s each, with no retries: a
// task that the outage made lose its attempt would fail the run.
const outagePipeline = `pipeline: chain
owner: test
tasks:
  - id: t1
    run: sleep 0.3; echo t1 >> "done.$GANTRY_RUN_ID"
  - id: t2
    needs: [t1]
    run: sleep 0.3; echo t2 >> "done.$GANTRY_RUN_ID"
  - id: t3
    needs: [t2]
    run: sleep 0.3; echo t3 >> "done.$GANTRY_RUN_ID"
  - id: t4
    needs: [t3]
    run: sleep 0.3; echo t4 >> "done.$GANTRY_RUN_ID"
  - id: t5
    needs: [t4]
    run: sleep 0.3; echo t5 >> "done.$GANTRY_RUN_ID"
  - id: t6
    needs: [t5]
    run: sleep 0.3; echo t6 >> "done.$GANTRY_RUN_ID"
`

type outageRun struct {
	ID    int64  `json:"id"`
	State string `json:"state"`
	Error string `json:"error"`
}

func (s *served) chainRuns() []outageRun {
	s.t.Helper()
	var list struct {
		Runs []outageRun `json:"runs"`
	}
	tok := strings.TrimSpace(readFileOr(filepath.Join(s.dir, ".gantry", "admin-token")))
	if code := s.getJSON("/api/v1/runs?pipeline=chain&limit=100", tok, &list); code != http.StatusOK {
		return nil
	}
	return list.Runs
}

func readFileOr(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// readyz returns /readyz's status and body; 0 when it does not answer.
func (s *served) readyz() (int, string) {
	resp, err := http.Get(s.url + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// triggerChain queues n runs of chain and waits until one of them runs.
func (s *served) triggerChain(n int) {
	s.t.Helper()
	for range n {
		s.must("trigger", "chain")
	}
	waitFor(s.t, 30*time.Second, "a run of chain to start", func() bool {
		for _, r := range s.chainRuns() {
			if r.State == "running" {
				return true
			}
		}
		return false
	})
}

// wantAllSucceeded waits until every run of chain is final and checks each
// succeeded with each task done once.
func (s *served) wantAllSucceeded(want int) {
	s.t.Helper()
	var runs []outageRun
	waitFor(s.t, waitTime, "every run of chain to end", func() bool {
		runs = s.chainRuns()
		if len(runs) < want {
			return false
		}
		for _, r := range runs {
			if r.State != "succeeded" && r.State != "failed" && r.State != "cancelled" {
				return false
			}
		}
		return true
	})
	for _, r := range runs {
		if r.State != "succeeded" {
			s.t.Errorf("run %d %s (%s), want succeeded\n%s", r.ID, r.State, r.Error, tail(s.log, 30))
			continue
		}
		done := readFileOr(filepath.Join(s.dir, fmt.Sprintf("done.%d", r.ID)))
		if done != "t1\nt2\nt3\nt4\nt5\nt6\n" {
			s.t.Errorf("run %d: tasks done %q, want each of t1..t6 once, in order", r.ID, done)
		}
	}
}

func TestStoreOutagePostgres(t *testing.T) {
	t.Parallel()
	pg := startPrivatePostgres(t)
	dir, _ := project(t, "pipelines/chain.yaml", outagePipeline)
	s := serve(t, dir, nil, "--store", pg.URL, "--shutdown-grace", "15s")

	// A restart mid-run.
	s.triggerChain(3)
	pg.Restart()
	s.wantAllSucceeded(3)
	if code, body := s.readyz(); code != http.StatusOK {
		t.Errorf("/readyz after the restart: %d %s", code, body)
	}

	// A 12 s outage mid-run: not ready while it lasts, every run finishes.
	s.triggerChain(2)
	pg.Stop()
	waitFor(t, 15*time.Second, "/readyz to say not ready while PostgreSQL is down", func() bool {
		code, _ := s.readyz()
		return code == http.StatusServiceUnavailable
	})
	_, body := s.readyz()
	if !strings.Contains(body, "store") {
		t.Errorf("/readyz while the store is down says %q; it should name the store", body)
	}
	time.Sleep(12 * time.Second) // the outage's length, not a wait for anything
	pg.Start()
	s.wantAllSucceeded(5)
	waitFor(t, 30*time.Second, "/readyz to say ready again", func() bool {
		code, _ := s.readyz()
		return code == http.StatusOK
	})
	// A run waits where the store failed it: at its commit, or, its
	// attempts being claims workers run (PostgreSQL), where the server
	// follows a claim and where its worker records the result.
	if log := readFileOr(s.log); !strings.Contains(log, "store write failed; the run waits and retries") &&
		!(strings.Contains(log, "look at an attempt's claim; trying again") || strings.Contains(log, "record the attempt's result; trying again")) {
		t.Errorf("the server never logged the failing writes\n%s", tail(s.log, 30))
	}

	// SIGTERM while the store is down and a run waits for it: the server
	// ends within its grace period; the run resumes on the next start.
	s.triggerChain(1)
	pg.Stop()
	waitFor(t, 15*time.Second, "/readyz to say not ready", func() bool {
		code, _ := s.readyz()
		return code == http.StatusServiceUnavailable
	})
	start := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.exited:
	case <-time.After(25 * time.Second):
		t.Fatalf("gantry serve did not end within 25 s of SIGTERM with the store down\n%s", tail(s.log, 30))
	}
	s.cmd = nil
	t.Logf("stopped in %v with the store down", time.Since(start).Round(time.Millisecond))
	pg.Start()
	// The run's attempt was killed by the stop: it is recorded lost, and
	// with no retry left its run fails with why (as after any stop); it
	// must not be left running.
	s2 := serve(t, dir, nil, "--store", pg.URL)
	var last outageRun
	waitFor(t, waitTime, "the suspended run to end", func() bool {
		runs := s2.chainRuns()
		if len(runs) == 0 {
			return false
		}
		last = runs[0]
		return last.State == "succeeded" || last.State == "failed"
	})
	if last.State == "failed" && !strings.Contains(last.Error, "lost") {
		t.Errorf("run %d failed with %q; only its lost attempt may fail it", last.ID, last.Error)
	}
}

// TestStoreDiskFull fills the disk under the SQLite store while a run is
// in flight: the run waits, the server says not ready and logs why, and
// the run finishes once space is freed. The disk is a small tmpfs.
func TestStoreDiskFull(t *testing.T) {
	t.Parallel()
	disk := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", disk).CombinedOutput(); err != nil {
		// Mounting needs root and a kernel that lets this sandbox mount.
		t.Skipf("cannot mount a small tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", disk).Run() })
	fill := filepath.Join(disk, "fill")
	dir, _ := project(t, "pipelines/chain.yaml", `pipeline: chain
owner: test
tasks:
  - id: fill
    run: dd if=/dev/zero of=`+fill+` bs=64k 2>/dev/null; echo fill >> "done.$GANTRY_RUN_ID"
  - id: after
    needs: [fill]
    run: echo after >> "done.$GANTRY_RUN_ID"
`)
	s := serve(t, dir, nil, "--store", filepath.Join(disk, "gantry.db"))
	s.must("trigger", "chain")
	waitFor(t, 30*time.Second, "/readyz to say not ready on a full disk", func() bool {
		code, _ := s.readyz()
		return code == http.StatusServiceUnavailable
	})
	if _, body := s.readyz(); !strings.Contains(body, "full") {
		t.Errorf("/readyz on a full disk says %q; it should say the store is full", body)
	}
	if runs := s.chainRuns(); len(runs) != 1 || runs[0].State != "running" {
		t.Errorf("runs on a full disk: %+v, want the one run still running (waiting)", runs)
	}
	if err := os.Remove(fill); err != nil {
		t.Fatal(err)
	}
	var runs []outageRun
	waitFor(t, waitTime, "the run to end once space is freed", func() bool {
		runs = s.chainRuns()
		return len(runs) == 1 && (runs[0].State == "succeeded" || runs[0].State == "failed")
	})
	if runs[0].State != "succeeded" {
		t.Errorf("run %s (%s), want succeeded\n%s", runs[0].State, runs[0].Error, tail(s.log, 30))
	}
	if done := readFileOr(filepath.Join(dir, fmt.Sprintf("done.%d", runs[0].ID))); done != "fill\nafter\n" {
		t.Errorf("tasks done %q, want fill then after, once each", done)
	}
	waitFor(t, 30*time.Second, "/readyz to say ready again", func() bool {
		code, _ := s.readyz()
		return code == http.StatusOK
	})
}

// PostgreSQL restarted while two server replicas and two `gantry worker`
// processes share it, with runs in flight whose tasks only the workers
// run: every process reconnects, every run finishes with each task done
// once, no attempt is lost (a claim rides out an outage shorter than its
// lease's grace), and the workers are back in `gantry workers` as active.
func TestWorkersRidePostgresRestart(t *testing.T) {
	t.Parallel()
	pg := startPrivatePostgres(t)
	serverDir := t.TempDir()
	// Every copy of the project writes where the first server's copy is.
	pipeline := strings.ReplaceAll(outagePipeline, `"done.$GANTRY_RUN_ID"`, `"`+serverDir+`/done.$GANTRY_RUN_ID"`)
	copyOf := func(dir string) string {
		writeFile(t, filepath.Join(dir, "pipelines", "chain.yaml"), pipeline)
		return dir
	}
	env := []string{"GANTRY_LEASE_TTL=2s", "GANTRY_WORKER_SLOTS=0"}
	a := serve(t, copyOf(serverDir), env, "--store", pg.URL)
	b := serve(t, copyOf(t.TempDir()), env, "--store", pg.URL)
	w1 := startWorker(t, copyOf(t.TempDir()), env[:1], "--store", pg.URL)
	w2 := startWorker(t, copyOf(t.TempDir()), env[:1], "--store", pg.URL)

	a.triggerChain(3)
	pg.Restart()
	a.wantAllSucceeded(3)
	// After the restart, through the other replica.
	b.must("trigger", "chain")
	b.must("trigger", "chain")
	a.wantAllSucceeded(5)

	for _, s := range []*served{a, b} {
		if code, body := s.readyz(); code != http.StatusOK {
			t.Errorf("/readyz after the restart: %d %s", code, body)
		}
	}
	workers := b.must("workers").stdout
	for _, w := range []*workerProc{w1, w2} {
		wantMatch(t, "gantry workers", workers, `-`+strconv.Itoa(w.cmd.Process.Pid)+`-\S+\s+\S+\s+active\s`)
	}
	c, err := pgx.Connect(t.Context(), pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var attempts, lost, onWorkers int
	if err := c.QueryRow(t.Context(), `SELECT count(*), count(*) FILTER (WHERE state = 'lost') FROM task_attempts`).Scan(&attempts, &lost); err != nil {
		t.Fatal(err)
	}
	if attempts != 5*6 || lost != 0 {
		t.Errorf("%d attempts, %d lost; want 30, none lost (each task done once, through the restart)", attempts, lost)
	}
	for _, w := range []*workerProc{w1, w2} {
		onWorkers += strings.Count(readFileOr(w.log), `msg="attempt ended"`)
	}
	if onWorkers != attempts {
		t.Errorf("the workers logged %d ended attempts, want all %d", onWorkers, attempts)
	}
}
