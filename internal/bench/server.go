package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// ServerOptions tune the server benchmarks.
type ServerOptions struct {
	Dir       string // scratch folder
	Gantry    string // the gantry binary to run as a server
	Samples   int    // latency samples per figure
	Pipelines int    // pipelines in the history project
	History   int    // runs of history
	// OpenStore opens the SQLite store file at path, to seed and read the
	// child's history (app.OpenStore).
	OpenStore func(ctx context.Context, path string) (store.Store, error)
	// AdminToken reads the admin token the child keeps in its project
	// folder (app.ReadAdminToken).
	AdminToken func(dir string) string
}

// RunServer measures a real `gantry serve` child process: how soon a
// downstream pipeline starts after its upstream succeeds, how soon a cron
// tick starts its run, and, with a large history, memory and API latency.
func RunServer(ctx context.Context, w io.Writer, o ServerOptions) error {
	if o.Samples <= 0 {
		o.Samples = 100
	}
	if o.Pipelines <= 0 {
		o.Pipelines = 1000
	}
	if o.History <= 0 {
		o.History = 100000
	}
	if err := upstreamLatency(ctx, w, o); err != nil {
		return fmt.Errorf("upstream latency: %w", err)
	}
	if err := tickLatency(ctx, w, o); err != nil {
		return fmt.Errorf("tick latency: %w", err)
	}
	if err := history(ctx, w, o); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

// child is a `gantry serve` process.
type child struct {
	cmd   *exec.Cmd
	base  string
	dir   string
	token func(dir string) string
}

func startServer(ctx context.Context, o ServerOptions, dir string) (*child, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.CommandContext(ctx, o.Gantry, "serve", "--project", dir, "--addr", addr, "--log-level", "warn")
	logf, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, base: "http://" + addr, dir: dir, token: o.AdminToken}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(c.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return c, nil
			}
		}
		if time.Now().After(deadline) {
			c.stop()
			log, _ := os.ReadFile(filepath.Join(dir, "serve.log"))
			return nil, fmt.Errorf("server not ready after 60s: %s", log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (c *child) stop() {
	_ = c.cmd.Process.Signal(os.Interrupt)
	_ = c.cmd.Wait()
}

// request sends a request with the admin token the server keeps in its
// project folder.
func (c *child) request(method, url string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+c.token(c.dir))
	return http.DefaultClient.Do(req)
}

func (c *child) post(path, body string) error {
	resp, err := c.request(http.MethodPost, c.base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("POST %s: %s: %s", path, resp.Status, b)
	}
	return nil
}

// rss returns the child's current and peak resident set sizes.
func (c *child) rss() (cur, peak int64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0, 0
	}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			cur = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return cur, peak
}

func writeProject(dir string, files map[string]string) error {
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// openStore opens the child's store read-only in spirit: to read results.
func (o ServerOptions) openStore(ctx context.Context, dir string) (store.Store, error) {
	return o.OpenStore(ctx, filepath.Join(dir, ".gantry", "gantry.db"))
}

// waitRuns waits until the pipeline has n final runs.
func waitRuns(ctx context.Context, st store.Store, pipeline string, n int, timeout time.Duration) ([]record.Run, error) {
	deadline := time.Now().Add(timeout)
	for {
		runs, err := st.ListRuns(ctx, store.RunFilter{Pipeline: pipeline, Limit: -1})
		if err != nil {
			return nil, err
		}
		final := 0
		for _, r := range runs {
			if r.State.Final() {
				final++
			}
		}
		if final >= n {
			return runs, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s: %d of %d runs final after %s", pipeline, final, n, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// firstStart is when a run's first attempt started.
func firstStart(ctx context.Context, st store.Store, runID int64) (time.Time, error) {
	as, err := st.ListAttempts(ctx, runID, "")
	if err != nil || len(as) == 0 {
		return time.Time{}, fmt.Errorf("run %d has no attempts (%v)", runID, err)
	}
	return as[0].StartedAt, nil
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p)
	return s[i]
}

func upstreamLatency(ctx context.Context, w io.Writer, o ServerOptions) error {
	dir := filepath.Join(o.Dir, "upstream")
	err := writeProject(dir, map[string]string{
		"pipelines/up.yaml":   "pipeline: up\nproduces: [bench.up]\nconcurrency: {max_active_runs: 1}\ntasks:\n  - id: a\n    run: \"true\"\n",
		"pipelines/down.yaml": "pipeline: down\nconsumes: [bench.up]\nconcurrency: {max_active_runs: 4}\ntasks:\n  - id: b\n    run: \"true\"\n",
	})
	if err != nil {
		return err
	}
	c, err := startServer(ctx, o, dir)
	if err != nil {
		return err
	}
	defer c.stop()
	day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range o.Samples {
		if err := c.post("/api/v1/pipelines/up/trigger", fmt.Sprintf(`{"date": %q}`, day.AddDate(0, 0, i).Format("2006-01-02"))); err != nil {
			return err
		}
	}
	st, err := o.openStore(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()
	downs, err := waitRuns(ctx, st, "down", o.Samples, 5*time.Minute)
	if err != nil {
		return err
	}
	ups, err := waitRuns(ctx, st, "up", o.Samples, time.Minute)
	if err != nil {
		return err
	}
	upEnd := map[time.Time]time.Time{}
	for _, u := range ups {
		upEnd[u.IntervalStart] = u.FinishedAt
	}
	var lat []time.Duration
	for _, d := range downs {
		start, err := firstStart(ctx, st, d.ID)
		if err != nil {
			return err
		}
		lat = append(lat, start.Sub(upEnd[d.IntervalStart]))
	}
	fmt.Fprintf(w, "upstream success → downstream first task start (%d samples): p50 %s  p99 %s  (want p99 ≤ 50ms)\n",
		len(lat), percentile(lat, 0.5).Round(10*time.Microsecond), percentile(lat, 0.99).Round(10*time.Microsecond))
	return nil
}

func tickLatency(ctx context.Context, w io.Writer, o ServerOptions) error {
	dir := filepath.Join(o.Dir, "tick")
	n := min(o.Samples, 30)
	err := writeProject(dir, map[string]string{
		"pipelines/tick.yaml": "pipeline: tick\nschedule: {cron: \"@every 1s\", catchup: none}\nconcurrency: {max_active_runs: 4}\ntasks:\n  - id: a\n    run: \"true\"\n",
	})
	if err != nil {
		return err
	}
	c, err := startServer(ctx, o, dir)
	if err != nil {
		return err
	}
	st, err := o.openStore(ctx, dir)
	if err != nil {
		c.stop()
		return err
	}
	defer st.Close()
	runs, err := waitRuns(ctx, st, "tick", n+1, time.Duration(n+30)*time.Second)
	c.stop()
	if err != nil {
		return err
	}
	slices.SortFunc(runs, func(a, b record.Run) int { return int(a.ID - b.ID) })
	var lat []time.Duration
	for _, r := range runs[1:] { // the first may be a catch-up of a tick before the start
		if !r.State.Final() {
			continue
		}
		start, err := firstStart(ctx, st, r.ID)
		if err != nil {
			return err
		}
		lat = append(lat, start.Sub(r.IntervalEnd))
	}
	fmt.Fprintf(w, "cron tick → first task start (%d ticks of @every 1s): p50 %s  p99 %s  (want p99 ≤ 250ms)\n",
		len(lat), percentile(lat, 0.5).Round(10*time.Microsecond), percentile(lat, 0.99).Round(10*time.Microsecond))
	return nil
}

func history(ctx context.Context, w io.Writer, o ServerOptions) error {
	dir := filepath.Join(o.Dir, "history")
	files := map[string]string{}
	for i := range o.Pipelines {
		files[fmt.Sprintf("pipelines/p%04d.yaml", i)] = fmt.Sprintf(
			"pipeline: p%04d\nschedule: {cron: \"0 3 1 1 *\", catchup: none}\ntasks:\n  - id: extract\n    run: \"true\"\n  - id: load\n    needs: [extract]\n    run: \"true\"\n", i)
	}
	if err := writeProject(dir, files); err != nil {
		return err
	}
	seedStart := time.Now()
	if err := seedHistory(ctx, o, dir); err != nil {
		return err
	}
	seeded := time.Since(seedStart)
	c, err := startServer(ctx, o, dir)
	if err != nil {
		return err
	}
	defer c.stop()
	var lat []time.Duration
	for i := range 200 {
		url := c.base + "/api/v1/runs?limit=50"
		if i%2 == 1 {
			url += fmt.Sprintf("&pipeline=p%04d", i%o.Pipelines)
		}
		t0 := time.Now()
		resp, err := c.request(http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		lat = append(lat, time.Since(t0))
	}
	cur, peak := c.rss()
	fmt.Fprintf(w, "history of %d runs over %d pipelines (seeded in %s):\n", o.History, o.Pipelines, seeded.Round(time.Millisecond))
	fmt.Fprintf(w, "  GET /api/v1/runs?limit=50 (200 requests, half filtered by pipeline): p50 %s  p95 %s  (want p95 ≤ 50ms)\n",
		percentile(lat, 0.5).Round(10*time.Microsecond), percentile(lat, 0.95).Round(10*time.Microsecond))
	fmt.Fprintf(w, "  server RSS: %.1f MiB now, %.1f MiB peak  (want ≤ 150 MiB)\n", float64(cur)/(1<<20), float64(peak)/(1<<20))
	return nil
}

// seedHistory writes finished runs straight into the project's store.
func seedHistory(ctx context.Context, o ServerOptions, dir string) error {
	pipelines, total := o.Pipelines, o.History
	st, err := o.openStore(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()
	const batch = 1000
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for made := 0; made < total; {
		p := fmt.Sprintf("p%04d", (made/batch)%pipelines)
		n := min(batch, total-made)
		runs := make([]*record.Run, n)
		for i := range runs {
			is := start.AddDate(0, 0, made+i)
			runs[i] = &record.Run{Pipeline: p, IntervalStart: is, IntervalEnd: is.AddDate(0, 0, 1),
				Trigger: record.TriggerBackfill, State: record.RunSucceeded,
				CreatedAt: is, StartedAt: is, FinishedAt: is.Add(time.Minute)}
		}
		b := &record.Backfill{Pipeline: p, From: runs[0].IntervalStart, To: runs[n-1].IntervalEnd,
			Parallel: 1, State: record.BackfillDone, CreatedAt: time.Now(), CreatedBy: "bench"}
		if err := st.CreateBackfill(ctx, b, runs, []string{"extract", "load"}); err != nil {
			return err
		}
		made += n
	}
	return nil
}
