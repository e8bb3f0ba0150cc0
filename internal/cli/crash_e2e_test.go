package cli_test

// Crash recovery of the real `gantry serve`: the server is killed with
// SIGKILL at random moments while 20 runs of a 50-task pipeline are in
// flight, and restarted each time. Every run must end succeeded, with each
// task's success recorded exactly once, no task running twice at the same
// time, no orphan process left behind, and nothing stuck.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	crashRuns      = 20
	crashTasks     = 50
	crashMinKills  = 10
	crashMaxKills  = 150             // a safety net: kills go on until every run is final
	crashProgress  = 4               // task successes a server records before it may be killed
	crashDeadline  = 4 * time.Minute // the whole test: "nothing is stuck"
	crashLockedOut = 99              // a task's exit code when its (run, task) lock is held
)

// crashScript is every task's command. It records its start and end for
// forensics, and holds an exclusive, non-blocking lock on its (run, task)
// while it works: a killed server's orphan keeps the lock until it dies, so
// a retry started while it still runs exits 99 instead of running twice.
const crashScript = `#!/bin/sh
echo "start $GANTRY_RUN_ID $GANTRY_TASK $GANTRY_ATTEMPT_ID $(date +%s%N)" >> forensics.log
flock -n -E 99 "locks/$GANTRY_RUN_ID-$GANTRY_TASK" sleep "$1" || exit $?
echo "end $GANTRY_RUN_ID $GANTRY_TASK $GANTRY_ATTEMPT_ID $(date +%s%N)" >> forensics.log
`

// crashPipeline returns a 50-task DAG: four lanes of chains, with a fan-in
// every seventh task and one sink at the end; each task sleeps 20–80ms.
func crashPipeline(name string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "pipeline: %s\n", name)
	b.WriteString("concurrency: {max_active_runs: 2, parallelism: 4}\n")
	b.WriteString("defaults:\n  retries: {attempts: 10, backoff: constant, initial: 10ms}\n")
	b.WriteString("tasks:\n")
	for i := range crashTasks {
		fmt.Fprintf(&b, "  - id: t%02d\n", i)
		var needs []string
		switch {
		case i == crashTasks-1:
			for j := i - 4; j < i; j++ {
				needs = append(needs, fmt.Sprintf("t%02d", j))
			}
		case i >= 4:
			needs = append(needs, fmt.Sprintf("t%02d", i-4))
			if i%7 == 0 && i >= 9 {
				needs = append(needs, fmt.Sprintf("t%02d", i-5), fmt.Sprintf("t%02d", i-9))
			}
		}
		if len(needs) > 0 {
			fmt.Fprintf(&b, "    needs: [%s]\n", strings.Join(needs, ", "))
		}
		ms := 20 + (i*37)%61
		fmt.Fprintf(&b, "    run: ./task.sh %d.%03d\n", ms/1000, ms%1000)
	}
	return b.String()
}

// Wire shapes of the API, as far as the test reads them.
type crashRun struct {
	ID            int64  `json:"id"`
	Pipeline      string `json:"pipeline"`
	State         string `json:"state"`
	Error         string `json:"error"`
	IntervalStart string `json:"interval_start"`
	Tasks         []struct {
		Task     string `json:"task"`
		State    string `json:"state"`
		Attempts int    `json:"attempts"`
	} `json:"tasks"`
}

type crashAttempt struct {
	ID         int64  `json:"id"`
	RunID      int64  `json:"run_id"`
	Task       string `json:"task"`
	Attempt    int    `json:"attempt"`
	State      string `json:"state"`
	PID        int    `json:"pid"`
	ExitCode   int    `json:"exit_code"`
	Signal     string `json:"signal"`
	Error      string `json:"error"`
	StartedAt  string `json:"started_at"`
	FinishedAt string `json:"finished_at"`
}

func (a crashAttempt) String() string {
	return fmt.Sprintf("attempt id=%d run=%d task=%s #%d state=%s pid=%d exit=%d signal=%q started=%s finished=%s error=%q",
		a.ID, a.RunID, a.Task, a.Attempt, a.State, a.PID, a.ExitCode, a.Signal, a.StartedAt, a.FinishedAt, a.Error)
}

// crashServer is one `gantry serve` and the ones that replace it.
type crashServer struct {
	t        *testing.T
	dir      string // the project
	logDir   string // where each incarnation's output goes
	addr     string
	base     string
	pipeline string
	client   *http.Client

	cmd      *exec.Cmd
	exited   chan error // cmd's Wait result
	n        int        // incarnations started
	lockHeld int        // starts refused because the store's lock was still held
	logs     []string   // their output files
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// start starts a new server and waits until /readyz answers 200. A server
// that finds the store's lock still held (by what the killed one left
// behind) is reported with the lock's holders and started again.
func (s *crashServer) start() {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		held, holders := s.startOnce(deadline)
		if !held {
			return
		}
		s.lockHeld++
		s.t.Logf("gantry serve #%d: the store's lock is still held after the previous server died; holders: %s", s.n, holders)
		if time.Now().After(deadline) {
			s.t.Fatalf("gantry serve could not take the store's lock within 30s\n%s", tail(s.logs[len(s.logs)-1], 20))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startOnce starts one server and waits for it to be ready. It reports
// held when the server exited because the store's lock was held.
func (s *crashServer) startOnce(deadline time.Time) (held bool, holders string) {
	s.t.Helper()
	s.n++
	logPath := filepath.Join(s.logDir, fmt.Sprintf("serve.%02d.log", s.n))
	lf, err := os.Create(logPath)
	if err != nil {
		s.t.Fatal(err)
	}
	defer lf.Close() // the child has its own copy
	s.logs = append(s.logs, logPath)
	cmd := exec.Command(gantryBin, "serve", "--project", s.dir, "--addr", s.addr)
	cmd.Dir = s.dir
	cmd.Env = baseEnv()
	cmd.Stdout, cmd.Stderr = lf, lf
	// No Setpgid: the server keeps the test's group; its tasks get their own.
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start gantry serve: %v", err)
	}
	s.cmd = cmd
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	for {
		select {
		case err := <-exited:
			s.cmd = nil
			out, _ := os.ReadFile(logPath)
			if bytes.Contains(out, []byte("another gantry server is using")) {
				return true, lockHolders(filepath.Join(s.dir, ".gantry", "gantry.db")) // the lock is on the database file
			}
			s.t.Fatalf("gantry serve #%d exited before it was ready: %v\n%s", s.n, err, tail(logPath, 40))
		default:
		}
		resp, err := s.client.Get(s.base + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.exited = exited // kill and stop wait on it
				return false, ""
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("gantry serve #%d not ready within 30s (last: %v)\n%s", s.n, err, tail(logPath, 40))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lockHolders describes the processes that have path open.
func lockHolders(path string) string {
	out := fileHolders(func(l string) bool { return l == path })
	if len(out) == 0 {
		return "none found (released by now)"
	}
	return strings.Join(out, "; ")
}

// fileHolders describes each open file, and its process, whose path
// match accepts.
func fileHolders(match func(path string) bool) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		for _, fd := range fds {
			l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
			if !match(l) {
				continue
			}
			stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
			var attempt string
			for kv := range bytes.SplitSeq(env, []byte{0}) {
				if bytes.HasPrefix(kv, []byte("GANTRY_ATTEMPT_ID=")) || bytes.HasPrefix(kv, []byte("GANTRY_TASK=")) {
					attempt += " " + string(kv)
				}
			}
			out = append(out, fmt.Sprintf("pid %d fd %s (%s) cmdline %q stat %q%s", pid, fd.Name(), l,
				bytes.ReplaceAll(bytes.TrimRight(cmdline, "\x00"), []byte{0}, []byte{' '}), bytes.TrimSpace(stat), attempt))
		}
	}
	return out
}

// kill kills the server outright and waits for it to be gone.
func (s *crashServer) kill() {
	s.t.Helper()
	if s.cmd == nil {
		return
	}
	if err := s.cmd.Process.Kill(); err != nil {
		s.t.Fatalf("kill gantry serve #%d: %v", s.n, err)
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.t.Fatalf("gantry serve #%d did not die within 30s of SIGKILL", s.n)
	}
	s.cmd = nil
}

// stop stops the server with SIGTERM, as an operator would, and checks it
// exits 0 within its shutdown budget.
func (s *crashServer) stop() {
	s.t.Helper()
	if s.cmd == nil {
		return
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("SIGTERM gantry serve #%d: %v", s.n, err)
	}
	select {
	case err := <-s.exited:
		s.cmd = nil
		if err != nil {
			s.t.Errorf("gantry serve #%d after SIGTERM: %v, want exit 0\n%s", s.n, err, tail(s.logs[len(s.logs)-1], 40))
		}
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
		s.cmd = nil
		s.t.Errorf("gantry serve #%d did not stop within 30s of SIGTERM\n%s", s.n, tail(s.logs[len(s.logs)-1], 40))
	}
}

// getJSON GETs path into v; it retries transport errors for a few seconds.
func (s *crashServer) getJSON(path string, v any) error {
	var last error
	for range 50 {
		resp, err := s.client.Get(s.base + path)
		if err != nil {
			last = err
			time.Sleep(100 * time.Millisecond)
			continue
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			last = err
			continue
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s\n%s", path, resp.Status, body)
		}
		if err := json.Unmarshal(body, v); err != nil {
			return fmt.Errorf("GET %s: %v\n%s", path, err, body)
		}
		return nil
	}
	return fmt.Errorf("GET %s: %w", path, last)
}

func (s *crashServer) runs() ([]crashRun, error) {
	var list struct {
		Runs []crashRun `json:"runs"`
		Next string     `json:"next"`
	}
	if err := s.getJSON("/api/v1/runs?limit=500", &list); err != nil {
		return nil, err
	}
	var out []crashRun
	for _, r := range list.Runs {
		if r.Pipeline == s.pipeline {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *crashServer) run(id int64) (crashRun, error) {
	var r crashRun
	err := s.getJSON(fmt.Sprintf("/api/v1/runs/%d", id), &r)
	return r, err
}

func (s *crashServer) attempts(id int64) ([]crashAttempt, error) {
	var list struct {
		Attempts []crashAttempt `json:"attempts"`
	}
	err := s.getJSON(fmt.Sprintf("/api/v1/runs/%d/attempts", id), &list)
	return list.Attempts, err
}

// dump describes runs that did not succeed (yet), with their unfinished
// tasks and their attempts that did not succeed.
func (s *crashServer) dump(runs []crashRun) string {
	var b strings.Builder
	for _, r := range runs {
		if r.State == "succeeded" {
			continue
		}
		fmt.Fprintf(&b, "run %d %s (%s) error=%q\n", r.ID, r.State, r.IntervalStart, r.Error)
		full, err := s.run(r.ID)
		if err != nil {
			fmt.Fprintf(&b, "  %v\n", err)
			continue
		}
		for _, tk := range full.Tasks {
			if tk.State != "succeeded" {
				fmt.Fprintf(&b, "  task %s %s attempts=%d\n", tk.Task, tk.State, tk.Attempts)
			}
		}
		as, err := s.attempts(r.ID)
		if err != nil {
			fmt.Fprintf(&b, "  %v\n", err)
			continue
		}
		for _, a := range as {
			if a.State != "succeeded" {
				fmt.Fprintf(&b, "  %s\n", a)
			}
		}
	}
	return b.String()
}

func isFinalRun(state string) bool {
	return state == "succeeded" || state == "failed" || state == "cancelled"
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "--- " + filepath.Base(path) + "\n" + strings.Join(lines, "\n") + "\n---"
}

// taskProc is a live (non-zombie) process of one of the pipeline's attempts.
type taskProc struct {
	pid       int
	ppid      int
	runID     int64
	task      string
	attemptID int64
}

// taskProcs lists the live processes whose environment says they belong to
// an attempt of pipeline.
func taskProcs(pipeline string) []taskProc {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	marker := []byte("\x00GANTRY_PIPELINE=" + pipeline + "\x00")
	var out []taskProc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readTaskProc(pid, marker); ok {
			out = append(out, p)
		}
	}
	return out
}

func readTaskProc(pid int, marker []byte) (taskProc, bool) {
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil || !bytes.Contains(append([]byte{0}, env...), marker) {
		return taskProc{}, false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return taskProc{}, false
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return taskProc{}, false
	}
	f := strings.Fields(s[i+2:])
	if len(f) < 2 || f[0] == "Z" || f[0] == "X" {
		return taskProc{}, false
	}
	p := taskProc{pid: pid}
	p.ppid, _ = strconv.Atoi(f[1])
	for kv := range bytes.SplitSeq(env, []byte{0}) {
		k, v, _ := strings.Cut(string(kv), "=")
		switch k {
		case "GANTRY_RUN_ID":
			p.runID, _ = strconv.ParseInt(v, 10, 64)
		case "GANTRY_TASK":
			p.task = v
		case "GANTRY_ATTEMPT_ID":
			p.attemptID, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return p, true
}

// stillSame reports whether p's pid is still a live process of the same
// attempt.
func (p taskProc) stillSame(pipeline string) bool {
	q, ok := readTaskProc(p.pid, []byte("\x00GANTRY_PIPELINE="+pipeline+"\x00"))
	return ok && q.attemptID == p.attemptID
}

// checkNoLiveLost fails the test if a process of an attempt the server has
// already recorded final (lost, above all) is still alive: the server must
// kill an orphan before it records the attempt lost and retries it. The
// store is read before the processes are looked at again, so an orphan
// killed in between is never mistaken for a survivor.
func (s *crashServer) checkNoLiveLost(when string) {
	s.t.Helper()
	procs := taskProcs(s.pipeline)
	if len(procs) == 0 {
		return
	}
	byRun := map[int64][]taskProc{}
	for _, p := range procs {
		byRun[p.runID] = append(byRun[p.runID], p)
	}
	for runID, ps := range byRun {
		as, err := s.attempts(runID)
		if err != nil {
			s.t.Logf("%s: attempts of run %d: %v", when, runID, err)
			continue
		}
		state := map[int64]crashAttempt{}
		for _, a := range as {
			state[a.ID] = a
		}
		alive := map[int64][]string{} // attempt → its live processes
		for _, p := range ps {
			a, ok := state[p.attemptID]
			if !ok || a.State == "running" || !p.stillSame(s.pipeline) {
				continue
			}
			alive[a.ID] = append(alive[a.ID], fmt.Sprintf("%d (ppid %d)", p.pid, p.ppid))
		}
		for id, pids := range alive {
			a := state[id]
			s.t.Errorf("%s: run %d task %s: the server recorded attempt id %d %s, yet its processes still run: %s\n  %s",
				when, runID, a.Task, id, a.State, strings.Join(pids, ", "), a)
		}
	}
}

// forensicsLine is one line the task script wrote.
type forensicsLine struct {
	what      string // start or end
	runID     int64
	task      string
	attemptID int64
	at        int64 // unix nanoseconds
}

func readForensics(t *testing.T, path string) []forensicsLine {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("forensics: %v", err)
	}
	defer f.Close()
	var out []forensicsLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 5 {
			t.Errorf("forensics: malformed line %q", sc.Text())
			continue
		}
		l := forensicsLine{what: fs[0], task: fs[2]}
		l.runID, _ = strconv.ParseInt(fs[1], 10, 64)
		l.attemptID, _ = strconv.ParseInt(fs[3], 10, 64)
		l.at, _ = strconv.ParseInt(fs[4], 10, 64)
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("forensics: %v", err)
	}
	return out
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts gantry serve for a minute or more")
	}
	begin := time.Now()
	deadline := begin.Add(crashDeadline)

	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("CRASH_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("CRASH_SEED=%q: %v", v, err)
		}
		seed = n
	}
	t.Logf("seed %d (set CRASH_SEED=%d to replay the same kill timings)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	dir := t.TempDir()
	keep := os.Getenv("CRASH_LOGDIR") // keep the project and the servers' output for a post-mortem
	if keep != "" {
		dir = filepath.Join(keep, "project")
	}
	name := fmt.Sprintf("crash-%d-%d", os.Getpid(), time.Now().UnixNano()%1_000_000_000)
	writeFile(t, filepath.Join(dir, "gantry.yaml"), "project: crash\n")
	writeFile(t, filepath.Join(dir, "pipelines", "crash.yaml"), crashPipeline(name))
	writeFile(t, filepath.Join(dir, "task.sh"), crashScript)
	if err := os.Chmod(filepath.Join(dir, "task.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "locks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if v := gantry(t, dir, "validate", dir); v.code != 0 {
		t.Fatalf("the test's project does not validate:\n%s", v)
	}

	logDir := t.TempDir()
	if keep != "" {
		logDir = keep
	}
	addr := freeAddr(t)
	s := &crashServer{
		t: t, dir: dir, logDir: logDir, addr: addr, base: "http://" + addr, pipeline: name,
		client: &http.Client{
			Timeout:   5 * time.Second,
			Transport: adminBearer{dir: dir, next: &http.Transport{DisableKeepAlives: true}},
		},
	}
	failed := true
	t.Cleanup(func() {
		if s.cmd != nil {
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
		for _, p := range taskProcs(name) { // leave no orphan behind the test
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
		if failed || t.Failed() {
			for _, l := range s.logs {
				t.Log(tail(l, 30))
			}
		}
	})

	s.start()

	// 20 runs, each for its own day.
	var ids []int64
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range crashRuns {
		body := fmt.Sprintf(`{"date": %q}`, day.AddDate(0, 0, i).Format(time.DateOnly))
		resp, err := s.client.Post(s.base+"/api/v1/pipelines/"+name+"/trigger", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("trigger %s: %v", body, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("trigger %s: %s\n%s", body, resp.Status, b)
		}
		var r crashRun
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("trigger %s: %v\n%s", body, err, b)
		}
		ids = append(ids, r.ID)
	}
	t.Logf("triggered runs %v", ids)

	allFinal := func() (bool, []crashRun) {
		runs, err := s.runs()
		if err != nil {
			t.Fatalf("list runs: %v", err)
		}
		final := 0
		for _, r := range runs {
			if slices.Contains(ids, r.ID) && isFinalRun(r.State) {
				final++
			}
		}
		return final == len(ids), runs
	}

	// progress counts the task successes recorded so far, over all runs.
	progress := func() int {
		runs, err := s.runs()
		if err != nil {
			t.Fatalf("list runs: %v", err)
		}
		n := 0
		for _, r := range runs {
			switch {
			case r.State == "succeeded":
				n += crashTasks
			case !isFinalRun(r.State):
				full, err := s.run(r.ID)
				if err != nil {
					t.Fatalf("get run %d: %v", r.ID, err)
				}
				for _, tk := range full.Tasks {
					if tk.State == "succeeded" {
						n++
					}
				}
			}
		}
		return n
	}

	// Kill at random moments while runs are in flight. Each server lives a
	// random 50–400ms after it is ready, and at least until it has recorded
	// a few task successes: on a loaded machine a restart costs more than a
	// short task, and without progress between kills the same task would be
	// lost over and over until its retries run out.
	kills := 0
	killedDuring := map[int64]int{} // run → kills while it was running
	var pauses []time.Duration
	for kills < crashMaxKills {
		base := progress()
		pause := time.Duration(50+rng.IntN(351)) * time.Millisecond
		time.Sleep(pause)
		for progress() < base+crashProgress {
			if done, _ := allFinal(); done {
				break
			}
			if time.Now().After(deadline) {
				_, runs := allFinal()
				t.Fatalf("no progress after kill %d; runs still not final after %s:\n%s", kills, time.Since(begin).Round(time.Second), s.dump(runs))
			}
			time.Sleep(10 * time.Millisecond)
		}
		done, runs := allFinal()
		if done {
			break
		}
		for _, r := range runs {
			if r.State == "running" {
				killedDuring[r.ID]++
			}
		}
		s.kill()
		kills++
		pauses = append(pauses, pause)
		s.start()
		s.checkNoLiveLost(fmt.Sprintf("after restart #%d", kills))
	}
	killPhase := time.Since(begin)
	t.Logf("%d kills in %s (pauses before each: %v)", kills, killPhase.Round(time.Millisecond), pauses)
	minExposure := kills
	for _, id := range ids {
		minExposure = min(minExposure, killedDuring[id])
		if killedDuring[id] == 0 {
			t.Errorf("run %d was never running when the server was killed", id)
		}
	}
	t.Logf("kills while each run was running: %v (fewest: %d)", killedDuring, minExposure)
	if kills < crashMinKills {
		t.Errorf("only %d kills before every run ended, want at least %d: the workload is too short to test recovery", kills, crashMinKills)
	}

	// Let it finish: nothing may be stuck.
	for {
		done, runs := allFinal()
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("runs still not final %s after the last kill (%s in all):\n%s",
				time.Since(begin.Add(killPhase)).Round(time.Second), time.Since(begin).Round(time.Second), s.dump(runs))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("all %d runs final after %s", len(ids), time.Since(begin).Round(time.Millisecond))
	if _, runs := allFinal(); slices.ContainsFunc(runs, func(r crashRun) bool { return r.State != "succeeded" }) {
		t.Errorf("runs that did not succeed:\n%s", s.dump(runs))
	}

	// Every run succeeded; every task succeeded exactly once.
	attemptIDs := map[int64]crashAttempt{}
	lost, total, mostAttempts := 0, 0, 0
	for _, id := range ids {
		r, err := s.run(id)
		if err != nil {
			t.Fatal(err)
		}
		if r.State != "succeeded" {
			t.Errorf("run %d is %s (%s), want succeeded", id, r.State, r.Error)
		}
		if len(r.Tasks) != crashTasks {
			t.Errorf("run %d has %d tasks, want %d", id, len(r.Tasks), crashTasks)
		}
		var notOK []string
		for _, tk := range r.Tasks {
			if tk.State != "succeeded" {
				notOK = append(notOK, fmt.Sprintf("%s=%s(%d attempts)", tk.Task, tk.State, tk.Attempts))
			}
		}
		if len(notOK) > 0 {
			t.Errorf("run %d: tasks not succeeded: %s", id, strings.Join(notOK, " "))
		}
		as, err := s.attempts(id)
		if err != nil {
			t.Fatal(err)
		}
		succeeded := map[string][]crashAttempt{}
		numbers := map[string][]int{}
		for _, a := range as {
			total++
			attemptIDs[a.ID] = a
			numbers[a.Task] = append(numbers[a.Task], a.Attempt)
			mostAttempts = max(mostAttempts, a.Attempt)
			switch {
			case a.State == "succeeded":
				succeeded[a.Task] = append(succeeded[a.Task], a)
			case a.State == "lost":
				lost++
			case a.State == "failed" && a.ExitCode == crashLockedOut:
				t.Errorf("run %d task %s: an attempt found its lock held, so an earlier attempt still ran when it started (the task ran twice at once):\n  %s", id, a.Task, a)
			case a.State == "running":
				t.Errorf("run %d task %s: attempt left running although the run is %s:\n  %s", id, a.Task, r.State, a)
			default:
				t.Errorf("run %d task %s: attempt ended %s, want only succeeded or lost:\n  %s", id, a.Task, a.State, a)
			}
		}
		var counts []string
		for i := range crashTasks {
			task := fmt.Sprintf("t%02d", i)
			if n := len(succeeded[task]); n != 1 {
				counts = append(counts, fmt.Sprintf("%s=%d", task, n))
				for _, a := range succeeded[task] {
					counts = append(counts, "\n  "+a.String())
				}
			}
			ns := numbers[task]
			slices.Sort(ns)
			for j, n := range ns {
				if n != j+1 {
					t.Errorf("run %d task %s: attempt numbers %v, want 1..%d without gaps or repeats", id, task, ns, len(ns))
					break
				}
			}
		}
		if len(counts) > 0 {
			t.Errorf("run %d: tasks without exactly one succeeded attempt: %s", id, strings.Join(counts, " "))
		}
	}
	t.Logf("%d attempts recorded, %d of them lost; the most any task needed: %d of its 10", total, lost, mostAttempts)

	// Every attempt a task process saw is one the store knows, for the
	// same run and task.
	fl := readForensics(t, filepath.Join(dir, "forensics.log"))
	ends := map[string]int{}
	for _, l := range fl {
		a, ok := attemptIDs[l.attemptID]
		switch {
		case !ok:
			t.Errorf("forensics: a process ran as attempt id %d (run %d task %s), which the store does not record", l.attemptID, l.runID, l.task)
		case a.RunID != l.runID || a.Task != l.task:
			t.Errorf("forensics: attempt id %d ran as run %d task %s, but is recorded as %s", l.attemptID, l.runID, l.task, a)
		}
		if l.what == "end" {
			ends[fmt.Sprintf("%d/%s", l.runID, l.task)]++
		}
	}
	again := 0
	for _, n := range ends {
		if n > 1 {
			again += n - 1
		}
	}
	// A lost attempt may have finished its work before the server that
	// started it died; recovery is at-least-once, so this is only shown.
	t.Logf("forensics: %d lines; %d task bodies completed more than once (their attempt died with a server after the work was done)", len(fl), again)

	// Stop the last server; no process of any attempt may outlive it.
	s.stop()
	orphanDeadline := time.Now().Add(10 * time.Second)
	for {
		left := taskProcs(name)
		if len(left) == 0 {
			break
		}
		if time.Now().After(orphanDeadline) {
			var b strings.Builder
			for _, p := range left {
				cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.pid))
				fmt.Fprintf(&b, "  pid %d ppid %d run %d task %s attempt id %d: %s (recorded: %s)\n", p.pid, p.ppid, p.runID, p.task, p.attemptID,
					bytes.ReplaceAll(bytes.TrimRight(cmdline, "\x00"), []byte{0}, []byte{' '}), attemptIDs[p.attemptID])
			}
			t.Errorf("orphan processes of the pipeline's attempts outlived the server by 10s:\n%s", b.String())
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The servers' own output must show no crash of their own.
	for _, l := range s.logs {
		b, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("panic:")) || bytes.Contains(b, []byte("goroutine ")) || bytes.Contains(b, []byte("DATA RACE")) {
			t.Errorf("%s shows a panic or race:\n%s", filepath.Base(l), tail(l, 60))
		}
	}
	t.Logf("runtime %s, %d kills, %d server starts (%d refused: store lock still held)", time.Since(begin).Round(time.Millisecond), kills, s.n, s.lockHeld)
	failed = false
}
