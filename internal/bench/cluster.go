package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/store"
)

// ClusterOptions tune the cluster throughput benchmark.
type ClusterOptions struct {
	Dir     string // scratch folder
	Gantry  string // the gantry binary
	Store   string // the PostgreSQL store the processes share
	Workers []int  // worker process counts; nil means 1, 2, 4
	Tasks   int    // tasks per run; 0 means 40
	Sleep   time.Duration
	Repeats int // runs per count, the median kept; 0 means 3
	// OpenStore opens the store at a URL, to read the runs.
	OpenStore func(ctx context.Context, url string) (store.Store, error)
}

// RunCluster measures task throughput through separate `gantry worker`
// processes of one slot each: one `gantry serve` that runs no task itself
// queues a run of o.Tasks independent tasks that each sleep o.Sleep, and
// the time from its trigger to its end gives tasks per second, for each
// worker count. It prints each count's figure and its ratio to one
// worker's.
func RunCluster(ctx context.Context, w io.Writer, o ClusterOptions) error {
	if o.Workers == nil {
		o.Workers = []int{1, 2, 4}
	}
	if o.Tasks <= 0 {
		o.Tasks = 40
	}
	if o.Sleep <= 0 {
		o.Sleep = 50 * time.Millisecond
	}
	if o.Repeats <= 0 {
		o.Repeats = 3
	}
	st, err := o.OpenStore(ctx, o.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "pipeline: fan\nconcurrency: {max_active_runs: 1, parallelism: %d}\ntasks:\n", o.Tasks)
	for i := range o.Tasks {
		fmt.Fprintf(&b, "  - {id: t%d, run: \"sleep %g\"}\n", i, o.Sleep.Seconds())
	}
	dir := filepath.Join(o.Dir, "server")
	srv, err := startServe(ctx, o.Gantry, o.Store, dir, map[string]string{"fan.yaml": b.String()}, []string{"GANTRY_WORKER_SLOTS=0"})
	if srv != nil {
		defer srv.kill()
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "gantry bench cluster: %d tasks of %s per run through `gantry worker` processes of 1 slot each, median of %d\n", o.Tasks, o.Sleep, o.Repeats)
	var base float64
	var workers []*exec.Cmd
	defer func() {
		for _, c := range workers {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}()
	for _, n := range o.Workers {
		for len(workers) < n {
			c, err := startClusterWorker(ctx, o, len(workers))
			if err != nil {
				return err
			}
			workers = append(workers, c)
		}
		var took []time.Duration
		for range o.Repeats {
			d, err := oneRun(ctx, o.Gantry, srv, dir, st)
			if err != nil {
				return fmt.Errorf("%d workers: %w", n, err)
			}
			took = append(took, d)
		}
		slices.Sort(took)
		perSec := float64(o.Tasks) / took[len(took)/2].Seconds()
		if base == 0 {
			base = perSec
		}
		fmt.Fprintf(w, "%d worker process(es): %6.1f tasks/s  (%.2f× one worker; a run took %s)\n", n, perSec, perSec/base, took[len(took)/2].Round(time.Millisecond))
	}
	return nil
}

// startClusterWorker starts `gantry worker --slots 1` in a copy of the
// project of its own and waits until it says it started.
func startClusterWorker(ctx context.Context, o ClusterOptions, i int) (*exec.Cmd, error) {
	dir := filepath.Join(o.Dir, fmt.Sprintf("worker-%d", i))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, "worker.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(o.Gantry, "worker", "--project", dir, "--store", o.Store, "--slots", "1")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		data, _ := os.ReadFile(logPath)
		if strings.Contains(string(data), `msg="worker started"`) {
			return cmd, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return nil, fmt.Errorf("gantry worker did not start: %s", data)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// oneRun triggers a run of fan through the server and returns how long it
// took from the trigger to its end.
func oneRun(ctx context.Context, gantry string, srv *replica, dir string, st store.Store) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, gantry, "trigger", "fan")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GANTRY_SERVER="+srv.base)
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("gantry trigger: %v: %s", err, out)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		runs, err := st.ListRuns(ctx, store.RunFilter{Pipeline: "fan", Limit: 1})
		if err != nil {
			return 0, err
		}
		if len(runs) == 1 && runs[0].FinishedAt.After(t0) {
			if runs[0].State != "succeeded" {
				return 0, fmt.Errorf("run %d %s: %s", runs[0].ID, runs[0].State, runs[0].Error)
			}
			return runs[0].FinishedAt.Sub(t0), nil // the store's record, not this poll's
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return 0, errors.New("the run did not end within 5 minutes")
}
