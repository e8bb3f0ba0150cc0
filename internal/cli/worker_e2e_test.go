package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
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

// workerProc is a running `gantry worker`.
type workerProc struct {
	cmd    *exec.Cmd
	log    string
	exited chan error
}

// startWorker starts gantry worker on dir's copy of the project and waits
// until it says it started. It is stopped with SIGTERM at the end.
func startWorker(t *testing.T, dir string, env []string, args ...string) *workerProc {
	t.Helper()
	w := &workerProc{log: filepath.Join(t.TempDir(), "worker.log"), exited: make(chan error, 1)}
	lf, err := os.Create(w.log)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	w.cmd = exec.Command(gantryBin, append([]string{"worker", "--project", dir}, args...)...)
	w.cmd.Dir = dir
	w.cmd.Env = baseEnv(env...)
	w.cmd.Stdout, w.cmd.Stderr = lf, lf
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { w.exited <- w.cmd.Wait() }()
	t.Cleanup(func() {
		_ = w.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-w.exited:
		case <-time.After(20 * time.Second):
			_ = w.cmd.Process.Kill()
			t.Errorf("gantry worker did not stop on SIGTERM\n%s", tail(w.log, 30))
		}
	})
	waitFor(t, 30*time.Second, "the worker to start", func() bool {
		select {
		case err := <-w.exited:
			w.exited <- err
			t.Fatalf("gantry worker exited: %v\n%s", err, tail(w.log, 30))
		default:
		}
		return strings.Contains(readFileOr(w.log), `msg="worker started"`)
	})
	return w
}

// workerProject is a project whose one task records, per attempt, the
// worker and shell pid that ran it; its first attempt hangs. Each attempt
// holds a lock on marks/lock while any of its processes lives (its
// children inherit the descriptor): one that finds it taken writes
// marks/overlap and fails.
func workerProject(t *testing.T, marks string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gantry.yaml"), "project: workers\n")
	writeFile(t, filepath.Join(dir, "pipelines", "slow.yaml"), `pipeline: slow
tasks:
  - id: a
    retries: {attempts: 3, backoff: constant, initial: 10ms}
    run: |
      exec 9>>`+marks+`/lock
      flock -n 9 || { echo "attempt $GANTRY_ATTEMPT ran beside a live one" >> `+marks+`/overlap; exit 1; }
      echo "$GANTRY_WORKER $$" > `+marks+`/ran.$GANTRY_ATTEMPT
      if [ "$GANTRY_ATTEMPT" = 1 ]; then sleep 120; fi
      echo "finished on $GANTRY_WORKER"
`)
	return dir
}

// A worker killed with -9 mid-task, or stopped (SIGSTOP): its task is
// ended by the worker's guard (at once when it is killed; before the
// lease lets anyone else take it when it is stopped), its claim's lease
// runs out, the attempt is recorded lost and retried on the other worker,
// and the task succeeds once, never running beside itself. The server
// runs no tasks itself ($GANTRY_WORKER_SLOTS=0): both attempts ran on
// `gantry worker` processes, each in its own copy of the project, and the
// log of the one that succeeded is read through the server from what its
// worker shipped. A stopped worker that wakes after all that records
// nothing.
func TestWorkerKilledMidTaskIsRetriedElsewhere(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		sig                   syscall.Signal
		serverTTL, workersTTL string
	}{
		"kill": {syscall.SIGKILL, "2s", "2s"},
		"stop": {syscall.SIGSTOP, "2s", "2s"},
		// The workers' leases are theirs: a server with a shorter TTL
		// of its own waits for the claim's, by which the guard has
		// ended the task.
		"stop-workers-ttl-longer": {syscall.SIGSTOP, "1s", "3s"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			workerLostMidTask(t, tc.sig, tc.serverTTL, tc.workersTTL)
		})
	}
}

func workerLostMidTask(t *testing.T, sig syscall.Signal, serverTTL, workersTTL string) {
	store := pgSchemaURL(t)
	marks := t.TempDir()
	env := []string{"GANTRY_LEASE_TTL=" + workersTTL}
	s := serve(t, workerProject(t, marks), []string{"GANTRY_LEASE_TTL=" + serverTTL, "GANTRY_WORKER_SLOTS=0"}, "--store", store)
	w1 := startWorker(t, workerProject(t, marks), env, "--store", store, "--slots", "2")
	w2 := startWorker(t, workerProject(t, marks), env, "--store", store, "--slots", "3", "--labels", "zone=eu-1")
	byPid := map[int]*workerProc{w1.cmd.Process.Pid: w1, w2.cmd.Process.Pid: w2}
	wantMatch(t, "gantry workers", s.must("workers").stdout, `-`+strconv.Itoa(w2.cmd.Process.Pid)+`-\S+\s+\S+\s+active\s+3\s+0\s+zone=eu-1\s`)

	s.must("trigger", "slow")
	var first []string
	waitFor(t, 30*time.Second, "the first attempt to run on a worker", func() bool {
		first = strings.Fields(readFileOr(filepath.Join(marks, "ran.1")))
		return len(first) == 2
	})
	shell, err := strconv.Atoi(first[1])
	if err != nil {
		t.Fatalf("ran.1: %v", first)
	}
	t.Cleanup(func() { _ = syscall.Kill(-shell, syscall.SIGKILL) }) // should the guard fail
	var victim *workerProc
	for pid, w := range byPid {
		if strings.Contains(first[0], "-"+strconv.Itoa(pid)+"-") {
			victim = w
		}
	}
	if victim == nil {
		t.Fatalf("attempt 1 ran on %q, neither worker (pids %v)", first[0], byPid)
	}
	killed := time.Now()
	if err := victim.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	if sig == syscall.SIGSTOP {
		t.Cleanup(func() { _ = victim.cmd.Process.Signal(syscall.SIGCONT) }) // so that it stops on SIGTERM
	}
	// The guard ends the task: at once when its worker is killed, within
	// two lease TTLs (4s) when it is stopped, before anyone else may take
	// the attempt.
	lock := filepath.Join(marks, "lock")
	waitFor(t, 12*time.Second, "the lost worker's task to be ended by its guard", func() bool {
		return strings.HasPrefix(lockHolders(lock), "none found")
	})
	if d := time.Since(killed); sig == syscall.SIGKILL && d > 2*time.Second {
		t.Errorf("the task lived %s after its worker was killed, want its guard to end it at once", d)
	}
	// and hands the claim back, so the retry need not wait for the lease.
	waitFor(t, 10*time.Second, "the guard to hand the claim back", func() bool {
		return strings.Contains(readFileOr(victim.log), "handed its claim back")
	})
	c, state := slowRunEnded(t, store)
	if state != "succeeded" {
		t.Fatalf("the run %s\n--- server\n%s", state, tail(s.log, 30))
	}
	if d := time.Since(killed); d > 15*time.Second {
		t.Errorf("the run took %s after the kill, want about the 2s lease", d)
	}
	got := attemptStates(t, c)
	if strings.Join(got, " ") != "1:lost 2:succeeded" {
		t.Errorf("attempts %v, want 1:lost 2:succeeded (the task succeeded once)", got)
	}
	if o := readFileOr(filepath.Join(marks, "overlap")); o != "" {
		t.Errorf("an attempt ran beside another: %s", o)
	}
	second := strings.Fields(readFileOr(filepath.Join(marks, "ran.2")))
	if len(second) != 2 || second[0] == first[0] {
		t.Errorf("attempt 2 ran on %v, want the other worker than %s", second, first[0])
	}
	r := s.must("logs", "1", "a")
	wantContains(t, "attempt 2's log through the server", r.stdout, "finished on "+second[0])
	m := s.metrics()
	wantContains(t, "the server's /metrics", m, "gantry_claims_lost_total 1")
	wantContains(t, "the server's /metrics", m, `gantry_claims_queued{pool=""} 0`)
	var left int
	if err := c.QueryRow(t.Context(), `SELECT count(*) FROM claims`).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d claims left in the store (%v)", left, err)
	}
	if sig == syscall.SIGSTOP {
		// Woken, the stopped worker finds its claim is no longer its own.
		_ = victim.cmd.Process.Signal(syscall.SIGCONT)
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("--- the stopped worker\n%s", tail(victim.log, 20))
			}
		})
		waitFor(t, 10*time.Second, "the woken worker to see it lost the claim", func() bool {
			log := readFileOr(victim.log)
			return strings.Contains(log, "no longer this worker's") || strings.Contains(log, "could not renew the claim's lease") ||
				strings.Contains(log, "its result is not recorded") || strings.Contains(log, "could not record the attempt's result")
		})
		if got := attemptStates(t, c); strings.Join(got, " ") != "1:lost 2:succeeded" {
			t.Errorf("after the stopped worker woke: attempts %v, want 1:lost 2:succeeded", got)
		}
	}
}

// The leading server killed with -9 while a worker runs a task of its
// run: the replica that leads next takes the attempt over instead of
// killing it, and records the result the worker reports — one attempt,
// succeeded, the task run once.
func TestLeaderKilledWhileAWorkerRunsItsTask(t *testing.T) {
	t.Parallel()
	store := pgSchemaURL(t)
	marks := t.TempDir()
	env := []string{"GANTRY_LEASE_TTL=2s", "GANTRY_WORKER_SLOTS=0"}
	project := func() string {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "gantry.yaml"), "project: workers\n")
		writeFile(t, filepath.Join(dir, "pipelines", "slow.yaml"), `pipeline: slow
tasks:
  - id: a
    retries: {attempts: 3, backoff: constant, initial: 10ms}
    run: |
      echo "$GANTRY_WORKER" >> `+marks+`/ran
      while [ ! -e `+marks+`/go ]; do sleep 0.05; done
      echo "finished attempt $GANTRY_ATTEMPT"
`)
		return dir
	}
	a := serve(t, project(), env, "--store", store)
	waitFor(t, 30*time.Second, "the first server to lead", func() bool { _, self := a.leader(); return self })
	b := serve(t, project(), env, "--store", store)
	startWorker(t, project(), []string{"GANTRY_LEASE_TTL=2s"}, "--store", store)

	a.must("trigger", "slow")
	waitFor(t, 30*time.Second, "the task to run on the worker", func() bool { return readFileOr(filepath.Join(marks, "ran")) != "" })
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the replica to lead", func() bool { _, self := b.leader(); return self })
	writeFile(t, filepath.Join(marks, "go"), "")

	c, state := slowRunEnded(t, store)
	got := attemptStates(t, c)
	if state != "succeeded" || strings.Join(got, " ") != "1:succeeded" {
		t.Errorf("run %s with attempts %v, want succeeded with 1:succeeded (taken over, not killed and run again)\n--- replica\n%s", state, got, tail(b.log, 30))
	}
	if ran := strings.Fields(readFileOr(filepath.Join(marks, "ran"))); len(ran) != 1 {
		t.Errorf("the task started %d times (%v), want once", len(ran), ran)
	}
	r := b.must("logs", "1", "a")
	wantContains(t, "the attempt's log through the replica", r.stdout, "finished attempt 1")
}

// attemptStates lists the store's attempts as attempt:state, in order.
func attemptStates(t *testing.T, c *pgx.Conn) []string {
	t.Helper()
	rows, err := c.Query(t.Context(), `SELECT attempt, state FROM task_attempts ORDER BY attempt`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var n int
		var st string
		if err := rows.Scan(&n, &st); err != nil {
			t.Fatal(err)
		}
		got = append(got, strconv.Itoa(n)+":"+st)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// gantry worker refuses what it cannot work with, saying what, with exit
// 2 and nothing started: a store workers cannot share, bad labels, bad
// durations and slots, a missing project.
func TestWorkerBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gantry.yaml"), "project: workers\n")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "gantry worker needs a PostgreSQL store shared with gantry serve"},
		{[]string{"--store", "postgres://x@127.0.0.1:1/x", "--labels", "gpu"}, `--labels "gpu": want key=value pairs`},
		{[]string{"--store", "postgres://x@127.0.0.1:1/x", "--labels", `a"b=1`}, `label "a\"b": a key is 1 to 63`},
		{[]string{"--store", "postgres://x@127.0.0.1:1/x", "--labels", "a=1,a=2"}, "a is given twice"},
		{[]string{"--store", "postgres://x@127.0.0.1:1/x", "--slots", "0"}, "--slots 0: want 1 or more"},
		{[]string{"--store", "postgres://x@127.0.0.1:1/x", "--lease-ttl", "-3s"}, "want positive durations"},
		{[]string{"--project", filepath.Join(dir, "missing")}, "no such file or directory"},
	} {
		r := gantryEnv(t, dir, nil, append([]string{"worker"}, tt.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stderr, "goroutine") {
			t.Errorf("gantry worker %v: exit %d, stderr %q; want exit 2 saying %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".gantry", "gantry.db")); err == nil {
		t.Error("a refused worker created a store")
	}
}

// slowRunEnded connects to store, waits for the run of pipeline slow to
// end, and returns the connection (closed with the test) and its state.
func slowRunEnded(t *testing.T, store string) (*pgx.Conn, string) {
	t.Helper()
	c, err := pgx.Connect(t.Context(), store)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	var state string
	waitFor(t, 30*time.Second, "the run to end", func() bool {
		err := c.QueryRow(t.Context(), `SELECT state FROM runs WHERE pipeline = 'slow'`).Scan(&state)
		return err == nil && (state == "succeeded" || state == "failed")
	})
	return c, state
}

// Chaos: 3 workers run 20 runs of a 50-task pipeline while workers are
// killed with -9 at random moments and replaced. Every run succeeds, every
// task has exactly one succeeded attempt, no task ever ran beside itself
// (each holds a lock on a file of its own while any of its processes
// lives; one that finds it taken writes marks/overlap and fails), and
// once it is over no process of any attempt is left. Most tasks take
// 50ms; the last of each run takes 6s on its first attempt, longer than
// a killed worker's claim takes to be retried, and every other kill hits
// a worker running one of those: were its task left running, the retry
// would find the lock taken.
func TestWorkersKilledAtRandomLoseNoTask(t *testing.T) {
	t.Parallel()
	const runs, tasks, workers, kills = 20, 50, 3, 6
	store := pgSchemaURL(t)
	marks := t.TempDir()
	locks, long := filepath.Join(marks, "locks"), filepath.Join(marks, "long")
	for _, d := range []string{locks, long} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	project := func() string {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "gantry.yaml"), "project: chaos\n")
		var b strings.Builder
		b.WriteString("pipeline: wide\nconcurrency: {max_active_runs: 20, parallelism: 6}\ntasks:\n")
		for i := range tasks {
			fmt.Fprintf(&b, "  - id: t%02d\n", i)
			if i >= 10 {
				fmt.Fprintf(&b, "    needs: [t%02d]\n", i-10)
			}
			b.WriteString("    retries: {attempts: 10, backoff: constant, initial: 10ms}\n")
			b.WriteString("    run: |\n")
			fmt.Fprintf(&b, "      exec 9>>%s/$GANTRY_RUN_ID.$GANTRY_TASK\n", locks)
			fmt.Fprintf(&b, "      flock -n 9 || { echo \"run $GANTRY_RUN_ID $GANTRY_TASK attempt $GANTRY_ATTEMPT\" >> %s/overlap; exit 1; }\n", marks)
			fmt.Fprintf(&b, "      if [ $GANTRY_TASK = t%02d ] && [ $GANTRY_ATTEMPT = 1 ]; then\n", tasks-1)
			fmt.Fprintf(&b, "        echo \"$GANTRY_WORKER\" > %s/$GANTRY_RUN_ID; sleep 6; rm -f %s/$GANTRY_RUN_ID\n", long, long)
			b.WriteString("      else sleep 0.05; fi\n")
		}
		writeFile(t, filepath.Join(dir, "pipelines", "wide.yaml"), b.String())
		return dir
	}
	env := []string{"GANTRY_LEASE_TTL=2s"}
	s := serve(t, project(), append(env, "GANTRY_WORKER_SLOTS=0"), "--store", store)
	live := make([]*workerProc, workers)
	for i := range live {
		live[i] = startWorker(t, project(), env, "--store", store, "--slots", "4")
	}
	for range runs {
		s.must("trigger", "wide")
	}
	c, err := pgx.Connect(t.Context(), store)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	ended := func() int {
		var n int
		_ = c.QueryRow(t.Context(), `SELECT count(*) FROM runs WHERE state IN ('succeeded', 'failed', 'cancelled')`).Scan(&n)
		return n
	}

	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("chaos seed %d", seed)
	// runningLong is the index in live of a worker running a long task.
	runningLong := func() (int, bool) {
		entries, _ := os.ReadDir(long)
		for _, e := range entries {
			id := readFileOr(filepath.Join(long, e.Name()))
			for i, w := range live {
				if strings.Contains(id, "-"+strconv.Itoa(w.cmd.Process.Pid)+"-") {
					return i, true
				}
			}
		}
		return 0, false
	}
	var hitLong int
	for k := 0; k < kills && ended() < runs; k++ {
		time.Sleep(time.Duration(300+rng.IntN(1200)) * time.Millisecond) // a random moment
		i := rng.IntN(workers)
		if k%2 == 1 {
			waitFor(t, time.Minute, "a worker to run a long task", func() bool {
				var ok bool
				i, ok = runningLong()
				return ok
			})
			hitLong++
		}
		w := live[i]
		if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err := <-w.exited
		w.exited <- err // for its cleanup
		live[i] = startWorker(t, project(), env, "--store", store, "--slots", "4")
	}
	waitFor(t, 3*time.Minute, "every run to end", func() bool { return ended() == runs })

	rows, err := c.Query(t.Context(), `SELECT r.id, r.state, rt.task,
		  count(a.id) FILTER (WHERE a.state = 'succeeded'),
		  count(a.id) FILTER (WHERE a.state = 'lost')
		FROM runs r JOIN run_tasks rt ON rt.run_id = r.id LEFT JOIN task_attempts a ON a.run_id = r.id AND a.task = rt.task
		GROUP BY r.id, r.state, rt.task`)
	if err != nil {
		t.Fatal(err)
	}
	var seen, lost int
	failed := map[int64]string{}
	for rows.Next() {
		var id int64
		var state, task string
		var ok, l int
		if err := rows.Scan(&id, &state, &task, &ok, &l); err != nil {
			t.Fatal(err)
		}
		seen, lost = seen+1, lost+l
		if state != "succeeded" {
			failed[id] = state
		}
		if ok != 1 {
			t.Errorf("run %d task %s has %d succeeded attempts, want exactly 1", id, task, ok)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if seen != runs*tasks || len(failed) > 0 {
		t.Errorf("%d run tasks, want %d; runs not succeeded: %v\n--- server\n%s", seen, runs*tasks, failed, tail(s.log, 30))
	}
	if o := readFileOr(filepath.Join(marks, "overlap")); o != "" {
		t.Errorf("tasks ran beside themselves:\n%s", o)
	}
	if left := fileHolders(func(l string) bool { return strings.HasPrefix(l, locks+"/") }); len(left) > 0 {
		t.Errorf("processes of attempts left running: %v", left)
	}
	t.Logf("%d kills (%d of a worker running a 6s task), %d attempts lost and retried", kills, hitLong, lost)
}

// The gate warns when a task selects workers by labels that no active
// registered worker carries, read through the server (GANTRY_SERVER) or
// from the store (--store), and stops warning once such a worker runs.
func TestGateWarnsWhenNoWorkerCarriesATasksLabels(t *testing.T) {
	t.Parallel()
	store := pgSchemaURL(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gantry.yaml"), "project: labels\n")
	writeFile(t, filepath.Join(dir, "pipelines", "gpu.yaml"), `pipeline: gpu
tasks:
  - id: plain
    run: "true"
  - id: train
    run: "true"
    worker: {labels: {gpu: "true"}}
`)
	s := serve(t, dir, []string{"GANTRY_WORKER_SLOTS=0"}, "--store", store)
	other := t.TempDir()
	writeFile(t, filepath.Join(other, "gantry.yaml"), "project: labels\n")
	startWorker(t, other, nil, "--store", store, "--labels", "zone=eu-1")
	finding := `tasks\[1\] "train" selects workers labelled gpu=true, but none of the 1 active registered workers carries them`
	for _, args := range [][]string{{"check"}, {"check", "--store", store}} {
		r := s.gantry(args...)
		wantMatch(t, strings.Join(args, " "), r.stdout, `(?m)^\s+7:\d+\s+warning\s+worker-labels\s+`+finding)
	}
	startWorker(t, other, nil, "--store", store, "--labels", "gpu=true,zone=us-1")
	for _, args := range [][]string{{"check"}, {"check", "--store", store}} {
		if r := s.gantry(args...); strings.Contains(r.stdout, "worker-labels") {
			t.Errorf("%s with a gpu worker running still warns:\n%s", strings.Join(args, " "), r.stdout)
		}
	}
}

// The leading server, itself a worker, killed with -9 while it runs a
// task: its guard kills the task and hands the claim back, and the
// replica that leads next retries it at once on its own worker: attempts
// 1:lost 2:succeeded, never side by side.
func TestLeaderKilledWhileItRunsATaskItself(t *testing.T) {
	t.Parallel()
	store := pgSchemaURL(t)
	marks := t.TempDir()
	env := []string{"GANTRY_LEASE_TTL=2s"}
	a := serve(t, workerProject(t, marks), env, "--store", store)
	waitFor(t, 30*time.Second, "the first server to lead", func() bool { _, self := a.leader(); return self })
	// The replica runs no task until the leader is gone.
	b := serve(t, workerProject(t, marks), append(env, "GANTRY_WORKER_SLOTS=0"), "--store", store)
	a.must("trigger", "slow")
	waitFor(t, 30*time.Second, "the first attempt to run on the leader", func() bool {
		return len(strings.Fields(readFileOr(filepath.Join(marks, "ran.1")))) == 2
	})
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the killed leader's guard to hand the claim back", func() bool {
		return strings.Contains(readFileOr(a.log), "handed its claim back")
	})
	// Only the replica is left to run the retry: give it a worker.
	startWorker(t, workerProject(t, marks), env, "--store", store)
	c, state := slowRunEnded(t, store)
	if got := attemptStates(t, c); state != "succeeded" || strings.Join(got, " ") != "1:lost 2:succeeded" {
		t.Errorf("run %s with attempts %v, want succeeded with 1:lost 2:succeeded\n--- replica\n%s", state, got, tail(b.log, 30))
	}
	if o := readFileOr(filepath.Join(marks, "overlap")); o != "" {
		t.Errorf("an attempt ran beside another: %s", o)
	}
}

// A server's task guard killed under it: the server says so, starts its
// worker again under a new guard, and runs tasks as before (it does not
// go on registered as a worker that runs nothing).
func TestServeStartsItsWorkerAgainWhenItsGuardDies(t *testing.T) {
	t.Parallel()
	store := pgSchemaURL(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "gantry.yaml"), "project: guard\n")
	writeFile(t, filepath.Join(dir, "pipelines", "p.yaml"), "pipeline: p\ntasks:\n  - id: a\n    run: echo ran on $GANTRY_WORKER\n")
	s := serve(t, dir, []string{"GANTRY_LEASE_TTL=2s"}, "--store", store)
	guard := guardOf(t, s.cmd.Process.Pid)
	if err := syscall.Kill(guard, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the server to start its worker again", func() bool {
		return strings.Contains(readFileOr(s.log), "the worker runs again under a new guard")
	})
	if again := guardOf(t, s.cmd.Process.Pid); again == guard {
		t.Fatalf("the guard is still pid %d", guard)
	}
	s.must("trigger", "p")
	waitFor(t, 30*time.Second, "the run to succeed on the server's new worker", func() bool {
		return strings.Contains(s.gantry("runs").stdout, "succeeded")
	})
}

// guardOf is the pid of the task guard process pid started.
func guardOf(t *testing.T, pid int) int {
	t.Helper()
	var found int
	waitFor(t, 10*time.Second, "the server's task guard", func() bool {
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			child, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
			f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
			env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", child))
			if len(f) > 1 && f[1] == strconv.Itoa(pid) && bytes.Contains(env, []byte("GANTRY_PROCESS_GUARD=1")) && !isZombie(child) {
				found = child
				return true
			}
		}
		return false
	})
	return found
}
