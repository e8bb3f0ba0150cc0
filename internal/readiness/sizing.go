package readiness

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// Sizing thresholds and the recommendation's headroom.
const (
	DefaultSizingLast = 20   // succeeded attempts per task read
	UnderFraction     = 0.80 // a max peak over this fraction of the limit is under-provisioned
	WasteFraction     = 0.10 // a p95 under this fraction of the limit is wasteful
	Headroom          = 1.5  // recommended limit: peak × Headroom, rounded up
	memoryStep        = 64 << 20
	cpuStep           = 100 // millicores
)

// Finding kinds.
const (
	UnderProvisioned = "under_provisioned"
	Wasteful         = "wasteful"
)

// Sizing is every task's resource figures in one environment.
type Sizing struct {
	Pipeline string `json:"pipeline"`
	Env      string `json:"env"`
	// Source says which runs the figures come from: the environment's,
	// or the staging run of a pipeline new there.
	Source string       `json:"source"`
	Tasks  []TaskSizing `json:"tasks"`
}

// TaskSizing is one task's figures.
type TaskSizing struct {
	Task          string `json:"task"`
	Samples       int    `json:"samples"` // succeeded attempts read
	OOMs          int    `json:"ooms"`    // attempts killed for memory at the current limit, in the runs read
	MemoryLimit   int64  `json:"memory_limit_bytes"`
	MilliCPULimit int64  `json:"cpu_limit_millicores"`
	Memory        Stats  `json:"memory_bytes"`
	// CPU is the attempts' average cores in use (CPU time over wall time),
	// in millicores.
	CPU     Stats         `json:"cpu_millicores"`
	CPUTime Stats         `json:"cpu_time_ms"` // CPU time of one attempt
	Peak    *PeakInterval `json:"peak_interval,omitempty"`
	// Findings are the task's under-provisioned and wasteful limits.
	Findings []SizingFinding `json:"findings,omitempty"`

	cpuSamples int // attempts long enough to judge CPU by
}

// Stats are p50, p95 and max of one figure.
type Stats struct {
	P50 int64 `json:"p50"`
	P95 int64 `json:"p95"`
	Max int64 `json:"max"`
}

// PeakInterval is the interval of the largest volume: the attempt with
// the most rows, or the highest peak memory when no rows are reported.
type PeakInterval struct {
	RunID      int64     `json:"run_id"`
	Start      time.Time `json:"interval_start"`
	End        time.Time `json:"interval_end"`
	Trigger    string    `json:"trigger"`
	Rows       int64     `json:"rows,omitempty"`
	PeakMemory int64     `json:"peak_memory_bytes"`
	CPUTime    int64     `json:"cpu_time_ms"`
}

// SizingFinding is an under-provisioned or wasteful limit.
type SizingFinding struct {
	Kind     string `json:"kind"`     // UnderProvisioned or Wasteful
	Resource string `json:"resource"` // memory or cpu
	Message  string `json:"message"`
	// Recommended is the limit to set: bytes for memory, millicores for cpu.
	Recommended int64  `json:"recommended"`
	Evidence    string `json:"evidence"`
}

// SizingInput says what to size.
type SizingInput struct {
	Pipeline *spec.Pipeline
	Env      string
	// StagingRunID stands in for the environment's history when the
	// pipeline has no run there yet.
	StagingRunID int64
	Last         int // 0 means DefaultSizingLast
}

// sample is one attempt and the run it belongs to.
type sample struct {
	run record.Run
	att record.TaskAttempt
}

// Size works out every task's sizing from its attempts in in.Env.
func Size(ctx context.Context, st Store, in SizingInput) (*Sizing, error) {
	p := in.Pipeline
	last := in.Last
	if last <= 0 {
		last = DefaultSizingLast
	}
	env := in.Env
	runs, err := st.ListRuns(ctx, store.RunFilter{Pipeline: p.Name, Env: &env, Limit: historyRuns})
	if err != nil {
		return nil, fmt.Errorf("sizing of %s in %s: %w", p.Name, env, err)
	}
	sz := &Sizing{Pipeline: p.Name, Env: env, Source: fmt.Sprintf("runs in %s", env), Tasks: []TaskSizing{}}
	if len(runs) == 0 && in.StagingRunID != 0 {
		run, err := st.GetRun(ctx, in.StagingRunID)
		if err != nil {
			return nil, fmt.Errorf("sizing of %s: staging run %d: %w", p.Name, in.StagingRunID, err)
		}
		runs = []record.Run{run}
		sz.Source = fmt.Sprintf("staging run %d in %s (no runs in %s yet)", run.ID, run.Env, env)
	}
	limits := map[string]int64{}
	for _, t := range p.Tasks {
		limits[t.ID] = t.Resources.Memory
	}
	ok := map[string][]sample{}
	ooms := map[string]int{}
	for _, run := range runs {
		atts, err := st.ListAttempts(ctx, run.ID, "")
		if err != nil {
			return nil, fmt.Errorf("sizing of %s: %w", p.Name, err)
		}
		for _, at := range atts {
			switch at.State {
			case record.TaskMemoryExceeded:
				if killedAt(at, limits[at.Task]) {
					ooms[at.Task]++
				}
			case record.TaskSucceeded:
				if len(ok[at.Task]) < last {
					ok[at.Task] = append(ok[at.Task], sample{run, at})
				}
			}
		}
	}
	for _, t := range p.Tasks {
		sz.Tasks = append(sz.Tasks, sizeTask(t, ok[t.ID], ooms[t.ID]))
	}
	return sz, nil
}

// killedAt reports whether an attempt killed for memory would be killed
// at limit too: its peak reached nine tenths of it (or is unknown). One
// killed under a lower limit, since raised, is history.
func killedAt(a record.TaskAttempt, limit int64) bool {
	return limit == 0 || a.PeakMemory == 0 || float64(a.PeakMemory) >= 0.9*float64(limit)
}

func sizeTask(t spec.Task, ss []sample, ooms int) TaskSizing {
	ts := TaskSizing{Task: t.ID, Samples: len(ss), OOMs: ooms, MemoryLimit: t.Resources.Memory, MilliCPULimit: t.Resources.MilliCPU}
	var mem, cpu, cpuTime []int64
	var peak *sample
	peakRows := int64(-1)
	for i := range ss {
		s := &ss[i]
		mem = append(mem, s.att.PeakMemory)
		if m, ok := milliCores(s.att); ok {
			cpu = append(cpu, m)
		}
		cpuTime = append(cpuTime, s.att.CPUTime.Milliseconds())
		rows, hasRows := outputRows(s.att)
		switch {
		case hasRows && rows > peakRows:
			peak, peakRows = s, rows
		case peakRows < 0 && (peak == nil || s.att.PeakMemory > peak.att.PeakMemory):
			peak = s
		}
	}
	ts.Memory, ts.CPU, ts.CPUTime = stats(mem), stats(cpu), stats(cpuTime)
	ts.cpuSamples = len(cpu)
	if peak != nil {
		ts.Peak = &PeakInterval{RunID: peak.run.ID, Start: peak.run.IntervalStart.UTC(), End: peak.run.IntervalEnd.UTC(),
			Trigger: string(peak.run.Trigger), Rows: max(peakRows, 0), PeakMemory: peak.att.PeakMemory, CPUTime: peak.att.CPUTime.Milliseconds()}
	}
	ts.Findings = findings(ts)
	return ts
}

// findings judges the task's limits against its figures.
func findings(ts TaskSizing) []SizingFinding {
	var out []SizingFinding
	evidence := func(s Stats, unit func(int64) string) string {
		e := fmt.Sprintf("%d succeeded attempts: p50 %s, p95 %s, max %s", ts.Samples, unit(s.P50), unit(s.P95), unit(s.Max))
		if ts.Peak != nil {
			e += fmt.Sprintf("; peak interval %s (run %d", ts.Peak.Start.Format(time.DateOnly), ts.Peak.RunID)
			if ts.Peak.Rows > 0 {
				e += fmt.Sprintf(", %d rows", ts.Peak.Rows)
			}
			e += ")"
		}
		if ts.OOMs > 0 {
			e += fmt.Sprintf("; %d attempt(s) killed for memory", ts.OOMs)
		}
		return e
	}
	if lim := ts.MemoryLimit; lim > 0 {
		base := ts.Memory.Max
		if ts.OOMs > 0 {
			base = max(base, lim) // it needed more than the limit
		}
		rec := roundUp(int64(float64(base)*Headroom), memoryStep)
		switch {
		case ts.OOMs > 0 || (ts.Samples > 0 && float64(ts.Memory.Max) > UnderFraction*float64(lim)):
			msg := fmt.Sprintf("task %s peaks at %s of its %s memory limit (%.0f%%)", ts.Task, Bytes(ts.Memory.Max), Bytes(lim), 100*float64(ts.Memory.Max)/float64(lim))
			if ts.OOMs > 0 {
				msg = fmt.Sprintf("task %s was killed for memory %d time(s) at its %s limit", ts.Task, ts.OOMs, Bytes(lim))
			}
			out = append(out, SizingFinding{Kind: UnderProvisioned, Resource: "memory", Message: msg + "; set resources.memory: " + Bytes(rec),
				Recommended: rec, Evidence: evidence(ts.Memory, Bytes)})
		case ts.Samples > 0 && float64(ts.Memory.P95) < WasteFraction*float64(lim):
			rec = max(rec, memoryStep)
			out = append(out, SizingFinding{Kind: Wasteful, Resource: "memory", Message: fmt.Sprintf("task %s uses %s at p95 of its %s memory limit (%.1f%%); set resources.memory: %s",
				ts.Task, Bytes(ts.Memory.P95), Bytes(lim), 100*float64(ts.Memory.P95)/float64(lim), Bytes(rec)), Recommended: rec, Evidence: evidence(ts.Memory, Bytes)})
		}
	}
	if lim := ts.MilliCPULimit; lim > 0 && ts.cpuSamples > 0 {
		rec := max(roundUp(int64(float64(ts.CPU.Max)*Headroom), cpuStep), cpuStep)
		switch {
		case float64(ts.CPU.Max) > UnderFraction*float64(lim):
			out = append(out, SizingFinding{Kind: UnderProvisioned, Resource: "cpu", Message: fmt.Sprintf("task %s uses up to %s of its %s CPU limit; set resources.cpu: %s",
				ts.Task, Cores(ts.CPU.Max), Cores(lim), Cores(rec)), Recommended: rec, Evidence: evidence(ts.CPU, Cores)})
		case float64(ts.CPU.P95) < WasteFraction*float64(lim):
			out = append(out, SizingFinding{Kind: Wasteful, Resource: "cpu", Message: fmt.Sprintf("task %s uses %s at p95 of its %s CPU limit; set resources.cpu: %s",
				ts.Task, Cores(ts.CPU.P95), Cores(lim), Cores(rec)), Recommended: rec, Evidence: evidence(ts.CPU, Cores)})
		}
	}
	return out
}

// minCPUWall is the shortest attempt whose average CPU use is judged: a
// shorter one's is mostly start-up noise.
const minCPUWall = time.Second

// milliCores is an attempt's average CPU use, CPU time over wall time;
// false for an attempt shorter than minCPUWall.
func milliCores(a record.TaskAttempt) (int64, bool) {
	wall := a.FinishedAt.Sub(a.StartedAt)
	if wall < minCPUWall {
		return 0, false
	}
	return int64(math.Round(1000 * float64(a.CPUTime) / float64(wall))), true
}

func outputRows(a record.TaskAttempt) (int64, bool) {
	for _, o := range a.Outputs {
		if o.Key == "rows" {
			n, err := strconv.ParseInt(o.Value, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

func stats(xs []int64) Stats {
	if len(xs) == 0 {
		return Stats{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	at := func(q float64) int64 { return s[int(float64(len(s)-1)*q+0.5)] }
	return Stats{P50: at(0.5), P95: at(0.95), Max: s[len(s)-1]}
}

func roundUp(n, step int64) int64 { return (n + step - 1) / step * step }

// Bytes is n in the units resources.memory takes (Mi, Gi).
func Bytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "Gi"
	case n >= 1<<20:
		return strconv.FormatFloat(math.Ceil(float64(n)/(1<<20)), 'f', -1, 64) + "Mi"
	case n >= 1<<10:
		return strconv.FormatFloat(math.Ceil(float64(n)/(1<<10)), 'f', -1, 64) + "Ki"
	}
	return strconv.FormatInt(n, 10)
}

// Cores is millicores as resources.cpu takes them.
func Cores(m int64) string {
	if m%1000 == 0 {
		return strconv.FormatInt(m/1000, 10)
	}
	return strconv.FormatInt(m, 10) + "m"
}

// sizing adds the sizing of the subject to the report.
func (a *assessment) sizing(ctx context.Context) error {
	sz, err := Size(ctx, a.st, SizingInput{Pipeline: a.in.Pipeline, Env: a.in.Env, StagingRunID: a.in.Revision.StagingRunID, Last: a.in.SizingLast})
	if err != nil {
		return err
	}
	a.r.Sizing = sz
	under, waste, measured := 0, 0, 0
	for _, t := range sz.Tasks {
		if t.Samples > 0 || t.OOMs > 0 {
			measured++
		}
		for _, f := range t.Findings {
			if f.Kind == UnderProvisioned {
				under++
				a.r.fail(CritSizing, f.Message+" ("+f.Evidence+")")
			} else {
				waste++
				a.r.note(CritSizing, f.Message)
			}
		}
	}
	a.r.summarize(CritSizing, fmt.Sprintf("%d of %d tasks measured from %s; %d under-provisioned, %d wasteful", measured, len(sz.Tasks), sz.Source, under, waste))
	return nil
}
