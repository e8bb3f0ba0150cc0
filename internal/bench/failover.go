package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"time"

	"github.com/gantryhq/gantry/internal/store"
)

// FailoverOptions tune the failover benchmark.
type FailoverOptions struct {
	Dir    string // scratch folder
	Gantry string // the gantry binary to run as servers
	Store  string // the PostgreSQL store every server shares
	Trials int    // leaders killed; 0 means 20
	// LeaseTTL is passed to the servers as --lease-ttl; 0 keeps their
	// default.
	LeaseTTL time.Duration
	// OpenStore opens the store at a URL, to read the runs
	// (app.OpenStore).
	OpenStore func(ctx context.Context, url string) (store.Store, error)
}

// failoverPipeline ticks every second and catches up what it missed.
const failoverPipeline = "pipeline: tick\nschedule: {cron: \"@every 1s\", catchup: all}\ntasks:\n  - id: a\n    run: \"true\"\n"

// RunFailover measures, over o.Trials trials, the time from kill -9 of
// the leading `gantry serve` to the next scheduled run started by the
// replica beside it, on one PostgreSQL store. Each trial kills the leader
// and starts a new replica, so two servers run at every kill. It prints
// the median and the maximum.
func RunFailover(ctx context.Context, w io.Writer, o FailoverOptions) error {
	if o.Trials <= 0 {
		o.Trials = 20
	}
	st, err := o.OpenStore(ctx, o.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	var servers []*replica
	defer func() {
		for _, r := range servers {
			r.kill()
		}
	}()
	start := func(i int) (*replica, error) {
		r, err := startReplica(ctx, o, filepath.Join(o.Dir, fmt.Sprintf("replica-%d", i)))
		if r != nil {
			servers = append(servers, r)
		}
		return r, err
	}
	if _, err := start(0); err != nil {
		return err
	}
	var took []time.Duration
	for i := 1; i <= o.Trials; i++ {
		if _, err := start(i); err != nil {
			return err
		}
		leader, err := waitLeader(ctx, servers)
		if err != nil {
			return err
		}
		if err := waitScheduled(ctx, st, time.Now()); err != nil {
			return fmt.Errorf("trial %d: the leader schedules nothing: %w", i, err)
		}
		killed := time.Now()
		leader.kill()
		servers = slices.DeleteFunc(servers, func(r *replica) bool { return r == leader })
		started, err := firstStartAfter(ctx, st, killed)
		if err != nil {
			return fmt.Errorf("trial %d: %w", i, err)
		}
		took = append(took, started.Sub(killed))
		fmt.Fprintf(w, "trial %2d: next scheduled run started %s after kill -9 of the leader\n", i, started.Sub(killed).Round(time.Millisecond))
	}
	slices.Sort(took)
	ttl := o.LeaseTTL
	if ttl == 0 {
		ttl = 10 * time.Second
	}
	fmt.Fprintf(w, "failover (kill -9 of the leader → next scheduled run started by the replica), %d trials, lease TTL %s: p50 %s  max %s  (goal max ≤ 5s with the default TTL)\n",
		len(took), ttl, took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
	return nil
}

// replica is one `gantry serve` of the benchmark.
type replica struct {
	cmd  *exec.Cmd
	base string
	done chan struct{}
}

func startReplica(ctx context.Context, o FailoverOptions, dir string) (*replica, error) {
	var args []string
	if o.LeaseTTL > 0 {
		args = append(args, "--lease-ttl", o.LeaseTTL.String())
	}
	return startServe(ctx, o.Gantry, o.Store, dir, map[string]string{"tick.yaml": failoverPipeline}, nil, args...)
}

// startServe starts `gantry serve` of a project in dir holding pipelines
// (file name → YAML) on store, with env added, and waits until it is
// ready.
func startServe(ctx context.Context, gantry, store, dir string, pipelines map[string]string, env []string, extra ...string) (*replica, error) {
	if err := os.MkdirAll(filepath.Join(dir, "pipelines"), 0o755); err != nil {
		return nil, err
	}
	for name, yaml := range pipelines {
		if err := os.WriteFile(filepath.Join(dir, "pipelines", name), []byte(yaml), 0o644); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	args := append([]string{"serve", "--project", dir, "--addr", addr, "--store", store, "--log-level", "warn"}, extra...)
	cmd := exec.Command(gantry, args...)
	cmd.Env = append(os.Environ(), env...)
	logf, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &replica{cmd: cmd, base: "http://" + addr, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(r.done) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if code, _ := r.readyz(); code == http.StatusOK {
			return r, nil
		}
		select {
		case <-r.done:
			log, _ := os.ReadFile(filepath.Join(dir, "serve.log"))
			return r, fmt.Errorf("gantry serve exited: %s", log)
		case <-ctx.Done():
			return r, ctx.Err()
		default:
		}
		if time.Now().After(deadline) {
			return r, errors.New("gantry serve not ready after 60s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *replica) kill() {
	_ = r.cmd.Process.Kill()
	<-r.done
}

var selfLeads = regexp.MustCompile(`(?m)^leader: \S+ \(this process\)$`)

func (r *replica) readyz() (int, string) {
	resp, err := http.Get(r.base + "/readyz")
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitLeader returns the replica that leads.
func waitLeader(ctx context.Context, rs []*replica) (*replica, error) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range rs {
			if _, body := r.readyz(); selfLeads.MatchString(body) {
				return r, nil
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil, errors.New("no replica leads after 60s")
}

// waitScheduled waits until a scheduled run starts after since.
func waitScheduled(ctx context.Context, st store.Store, since time.Time) error {
	_, err := firstStartAfter(ctx, st, since)
	return err
}

// firstStartAfter polls the store for the first scheduled run started
// after t and returns when it started.
func firstStartAfter(ctx context.Context, st store.Store, t time.Time) (time.Time, error) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		runs, err := st.ListRuns(ctx, store.RunFilter{Pipeline: "tick", Since: t.Add(-time.Minute), Limit: 200})
		if err != nil {
			return time.Time{}, err
		}
		var first time.Time
		for _, r := range runs {
			if r.StartedAt.After(t) && (first.IsZero() || r.StartedAt.Before(first)) {
				first = r.StartedAt
			}
		}
		if !first.IsZero() {
			return first, nil
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return time.Time{}, fmt.Errorf("no scheduled run started within 60s after %s", t.Format(time.RFC3339Nano))
}
