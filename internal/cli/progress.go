package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/record"
)

// progress prints one line per state change.
type progress struct {
	mu      sync.Mutex
	w       io.Writer
	verbose bool
	header  string // printed, with the run's number, when the run starts
}

func newProgress(w io.Writer, verbose bool) *progress {
	return &progress{w: w, verbose: verbose}
}

func (p *progress) event(ev engine.Event) {
	if !p.verbose && !ev.Warning {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ts := ev.Time.Format("15:04:05.000")
	switch {
	case ev.Task == "" && ev.State == string(record.RunRunning):
		if p.header != "" {
			fmt.Fprintf(p.w, p.header+"\n", ev.RunID)
		}
		fmt.Fprintf(p.w, "%s  run %d started\n", ts, ev.RunID)
	case ev.Task == "" && ev.Warning:
		fmt.Fprintf(p.w, "%s  run %d warning: %s\n", ts, ev.RunID, ev.Detail)
	case ev.Task == "":
		// The run's end is told by the summary.
	case ev.Warning:
		fmt.Fprintf(p.w, "%s  %-14s warning: %s\n", ts, ev.Task, ev.Detail)
	default:
		state := ev.State
		if ev.State == string(record.TaskRunning) {
			state = fmt.Sprintf("running (attempt %d)", ev.Attempt)
		}
		line := fmt.Sprintf("%s  %-14s %s", ts, ev.Task, state)
		if ev.Detail != "" && ev.Detail != ev.State {
			line += " " + ev.Detail
		}
		fmt.Fprintln(p.w, line)
	}
}

// printSummary prints the per-task table at the end of a run.
func printSummary(ctx context.Context, w io.Writer, r reader, run record.Run) error {
	_, tasks, err := r.GetRun(ctx, run.ID)
	if err != nil {
		return fmt.Errorf("read run %d: %w", run.ID, err)
	}
	attempts, err := r.ListAttempts(ctx, run.ID, "")
	if err != nil {
		return fmt.Errorf("read run %d: %w", run.ID, err)
	}
	last := make(map[string]record.TaskAttempt, len(tasks))
	for _, a := range attempts {
		last[a.Task] = a
	}
	fmt.Fprintln(w)
	tw := newTable(w)
	fmt.Fprintln(tw, "TASK\tSTATE\tATTEMPTS\tDURATION\tPEAK MEM\tCPU\tOUTPUTS")
	for _, t := range tasks {
		a, ok := last[t.Task]
		dur, mem, cpu, outs, n := "-", "-", "-", "", 0
		if ok {
			if !a.FinishedAt.IsZero() {
				dur = human(a.FinishedAt.Sub(a.StartedAt))
			}
			mem = bytesHuman(a.PeakMemory)
			cpu = human(a.CPUTime)
			outs = outputs(a.Outputs)
			n = a.Attempt
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", t.Task, t.State, n, dur, mem, cpu, outs)
	}
	return tw.Flush()
}

func outputs(o []record.Output) string {
	parts := make([]string, len(o))
	for i, kv := range o {
		parts[i] = kv.Key + "=" + kv.Value
	}
	return strings.Join(parts, " ")
}

func human(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}

func bytesHuman(n int64) string {
	const unit = 1024
	if n <= 0 {
		return "-"
	}
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
