package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// Command is what every task runs, and what the raw loops exec.
const Command = "true"

// Options tune a benchmark session.
type Options struct {
	Dir     string // scratch folder for stores and logs
	Repeats int    // measurements per figure; the median is kept
	Scale   []int  // task counts for the flatness test
	Chain   int    // length of the long chain own CPU is judged on (default 1,000)
	// Store, when set, is a PostgreSQL URL: every run goes to that one
	// store (each under its own pipeline name) instead of the one SQLite
	// file each run opens and closes, as `gantry run` does. Gantry, when
	// set, is the gantry binary: the start-up of `gantry run` of a
	// one-task pipeline is measured against the task alone.
	Store  string
	Gantry string
	// OpenStore opens a durable SQLite store file at path (app.OpenStore);
	// Exec runs the tasks (app.Executors). Both are required.
	OpenStore func(ctx context.Context, path string) (store.Store, error)
	Exec      executor.Set
}

// Figure is one measured comparison.
type Figure struct {
	Name   string
	Tasks  int
	Gantry time.Duration // median
	Raw    time.Duration // median; 0 when there is no raw counterpart
	Limit  float64       // the ratio promised; 0 when none
	// GantryCPU and RawCPU are this process's own CPU time (user+sys,
	// its children's not counted) over the same measurements: what
	// Gantry spends beside the processes it starts, and what starting
	// them costs a bare loop.
	GantryCPU, RawCPU time.Duration
	CPULimit          time.Duration // own CPU per task promised; 0 when none
}

// OwnCPUPerTask is Gantry's own CPU per task above the raw loop's: the
// engine's, the store's and the executor's work, without the tasks'.
func (f Figure) OwnCPUPerTask() time.Duration {
	return (f.GantryCPU - f.RawCPU) / time.Duration(f.Tasks)
}

// Ratio is Gantry's time over the raw loop's.
func (f Figure) Ratio() float64 {
	if f.Raw == 0 {
		return 0
	}
	return float64(f.Gantry) / float64(f.Raw)
}

// PerTask is Gantry's time per task.
func (f Figure) PerTask() time.Duration { return f.Gantry / time.Duration(f.Tasks) }

// Run measures every scenario and writes a report to w as it goes.
func Run(ctx context.Context, w io.Writer, o Options) ([]Figure, error) {
	if o.Repeats < 1 {
		o.Repeats = 3
	}
	if o.Chain < 1 {
		o.Chain = 1000
	}
	if len(o.Scale) == 0 {
		o.Scale = []int{100, 1000, 10000}
	}
	if o.OpenStore == nil || o.Exec == nil {
		return nil, errors.New("bench: OpenStore and Exec are required")
	}
	b := &bencher{dir: o.Dir, exe: o.Exec, open: o.OpenStore}
	where := "durable SQLite"
	if o.Store != "" {
		st, err := o.OpenStore(ctx, o.Store)
		if err != nil {
			return nil, err
		}
		defer st.Close()
		b.shared, where = st, "PostgreSQL"
	}
	if b.shared == nil {
		// One store file for the session, its schema created here: what
		// a `gantry run` finds in a project but its first. Each run opens
		// and closes it, inside its measurement, as the command would.
		wall, cpu, err := b.createStore(ctx)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "a new project's store: created in %s (CPU %s), once; the runs below open and close it, schema current\n",
			wall.Round(10*time.Microsecond), cpu.Round(10*time.Microsecond))
	}
	var figs []Figure
	add := func(f Figure, err error) error {
		if err != nil {
			return err
		}
		figs = append(figs, f)
		report(w, f)
		return nil
	}
	fmt.Fprintf(w, "gantry bench: %d CPU(s), %s, %s store, median of %d; own CPU is this process's user+sys per task above the raw loop's\n",
		runtime.NumCPU(), runtime.Version(), where, o.Repeats)
	if err := add(b.compare(ctx, "chain of 100 vs raw sequential loop", 100, 1, true, o.Repeats, 1.2, 0)); err != nil {
		return nil, err
	}
	if err := add(b.compare(ctx, fmt.Sprintf("chain of %d vs raw sequential loop", o.Chain), o.Chain, 1, true, max(1, o.Repeats/2), 0, 200*time.Microsecond)); err != nil {
		return nil, err
	}
	if err := add(b.compare(ctx, "200 independent, parallelism 4 vs raw loop 4 in flight", 200, 4, false, o.Repeats, 1.25, 0)); err != nil {
		return nil, err
	}
	var flat []Figure
	for _, n := range o.Scale {
		f, err := b.compare(ctx, fmt.Sprintf("%d independent, parallelism 4", n), n, 4, false, 1, 0, 0)
		if err := add(f, err); err != nil {
			return nil, err
		}
		flat = append(flat, f)
	}
	if len(flat) > 1 {
		lo, hi := flat[0].PerTask(), flat[0].PerTask()
		for _, f := range flat {
			lo, hi = min(lo, f.PerTask()), max(hi, f.PerTask())
		}
		mid := (lo + hi) / 2
		fmt.Fprintf(w, "time per task across %v tasks: %s … %s (±%.0f%% around the midpoint; want ≤ ±25%%)\n",
			o.Scale, lo, hi, 100*float64(hi-mid)/float64(mid))
	}
	if o.Gantry != "" {
		if err := startup(ctx, w, o.Gantry, o.Dir, o.Repeats*4, 5*time.Millisecond); err != nil {
			return nil, err
		}
	}
	if rss, ok := peakRSS(); ok {
		fmt.Fprintf(w, "peak RSS of this process: %.1f MiB (want < 100 MiB)\n", float64(rss)/(1<<20))
	}
	return figs, nil
}

func report(w io.Writer, f Figure) {
	if f.Raw == 0 {
		fmt.Fprintf(w, "%-58s gantry %9s  (%s/task)\n", f.Name, f.Gantry.Round(time.Millisecond), f.PerTask().Round(time.Microsecond))
		return
	}
	verdict := ""
	if f.Limit > 0 {
		verdict = fmt.Sprintf("  (want ≤ %.2f×: %s)", f.Limit, okOver(f.Ratio() <= f.Limit))
	}
	cpu := fmt.Sprintf("  own CPU %5.0f µs/task", float64(f.OwnCPUPerTask())/float64(time.Microsecond))
	if f.CPULimit > 0 {
		cpu += fmt.Sprintf(" (want ≤ %.0f µs: %s)", float64(f.CPULimit)/float64(time.Microsecond), okOver(f.OwnCPUPerTask() <= f.CPULimit))
	}
	fmt.Fprintf(w, "%-58s gantry %9s  raw %9s  ratio %.3f×%s%s\n", f.Name,
		f.Gantry.Round(time.Millisecond), f.Raw.Round(time.Millisecond), f.Ratio(), verdict, cpu)
}

func okOver(ok bool) string {
	if ok {
		return "ok"
	}
	return "OVER"
}

type bencher struct {
	dir  string
	exe  executor.Set
	open func(ctx context.Context, path string) (store.Store, error)
	seq  int
	// shared, when set, is the one store every run goes to; else path
	// is the SQLite file each run opens.
	shared store.Store
	path   string
}

// createStore creates the SQLite store file the runs open, b.dir's
// gantry.db, and returns the wall and CPU time that took.
func (b *bencher) createStore(ctx context.Context) (wall, cpu time.Duration, err error) {
	b.path = filepath.Join(b.dir, "gantry.db")
	t0, c0 := time.Now(), selfCPU()
	st, err := b.open(ctx, b.path)
	if err != nil {
		return 0, 0, err
	}
	if err := st.Close(); err != nil {
		return 0, 0, err
	}
	return time.Since(t0), selfCPU() - c0, nil
}

// compare times Gantry and the raw loop, interleaved, repeats times each,
// and sums this process's own CPU over each side's measurements.
func (b *bencher) compare(ctx context.Context, name string, n, par int, chain bool, repeats int, limit float64, cpuLimit time.Duration) (Figure, error) {
	var gs, rs []time.Duration
	var gcpu, rcpu time.Duration
	for range repeats {
		c0 := selfCPU()
		r, err := rawLoop(ctx, n, par)
		if err != nil {
			return Figure{}, err
		}
		c1 := selfCPU()
		g, err := b.gantry(ctx, n, par, chain)
		if err != nil {
			return Figure{}, err
		}
		c2 := selfCPU()
		rs, gs = append(rs, r), append(gs, g)
		rcpu, gcpu = rcpu+c1-c0, gcpu+c2-c1
	}
	return Figure{Name: name, Tasks: n, Gantry: median(gs), Raw: median(rs), Limit: limit,
		GantryCPU: gcpu / time.Duration(repeats), RawCPU: rcpu / time.Duration(repeats), CPULimit: cpuLimit}, nil
}

// gantry runs one pipeline of n `true` tasks through the engine, as
// `gantry run` would: on SQLite, the store is opened and closed (its
// last commits checkpointed) within the time measured.
func (b *bencher) gantry(ctx context.Context, n, par int, chain bool) (time.Duration, error) {
	b.seq++
	dir := filepath.Join(b.dir, "run"+strconv.Itoa(b.seq))
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	p := &spec.Pipeline{Name: "bench" + strconv.Itoa(b.seq), Concurrency: spec.Concurrency{Parallelism: par}}
	p.Tasks = make([]spec.Task, n)
	for i := range p.Tasks {
		p.Tasks[i] = spec.Task{ID: "t" + strconv.Itoa(i), Run: Command}
		if chain && i > 0 {
			p.Tasks[i].Needs = []string{p.Tasks[i-1].ID}
		}
	}
	start := time.Now()
	st := b.shared
	if st == nil {
		var err error
		if st, err = b.open(ctx, b.path); err != nil {
			return 0, err
		}
	}
	eng := engine.New(engine.Config{Store: st, Executors: b.exe, LogDir: filepath.Join(dir, "logs")})
	run, err := eng.Run(ctx, engine.Request{Pipeline: p, Dir: dir, Start: start, End: start.Add(time.Hour)})
	if b.shared == nil {
		if cerr := st.Close(); err == nil {
			err = cerr
		}
	}
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if run.State != record.RunSucceeded {
		return 0, fmt.Errorf("bench run %d ended %s: %s", run.ID, run.State, run.Error)
	}
	return d, nil
}

// rawLoop execs `sh -c true` n times with par in flight. The shell is
// looked up once, as Gantry's executor does: a lookup per exec would be
// the loop's CPU, not the task's, and flatter Gantry by the difference.
func rawLoop(ctx context.Context, n, par int) (time.Duration, error) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		return 0, err
	}
	start := time.Now()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan struct{}, n)
	)
	for range n {
		next <- struct{}{}
	}
	close(next)
	for range par {
		wg.Go(func() {
			for range next {
				if err := exec.CommandContext(ctx, sh, "-c", Command).Run(); err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start), first
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// peakRSS reads the process's high-water resident set size.
func peakRSS() (int64, bool) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, false
			}
			return kb << 10, true
		}
	}
	return 0, false
}
