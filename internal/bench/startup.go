package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// selfCPU is this process's user+sys CPU time so far, every thread's; the
// processes it started are not counted.
func selfCPU() time.Duration { return rusage(syscall.RUSAGE_SELF) }

// childrenCPU is the user+sys CPU time of this process's children that
// have ended and been waited for.
func childrenCPU() time.Duration { return rusage(syscall.RUSAGE_CHILDREN) }

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startup measures what a user waits for: `gantry run` of a one-task
// pipeline on a fresh project's embedded store, against the task alone
// (`sh -c true`), interleaved, n times each. The first run of the project
// creates its store and is not counted: the figure is the cost of a
// command on a current schema.
func startup(ctx context.Context, w io.Writer, gantry, scratch string, n int, limit time.Duration) error {
	dir, err := os.MkdirTemp(scratch, "startup-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "pipelines", "one.yaml")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(file, []byte("pipeline: one\ntasks:\n  - id: a\n    run: \""+Command+"\"\n"), 0o644); err != nil {
		return err
	}
	run := func(name string, args ...string) (time.Duration, time.Duration, error) {
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		c0, t0 := childrenCPU(), time.Now()
		out, err := cmd.CombinedOutput()
		d, cpu := time.Since(t0), childrenCPU()-c0
		if err != nil {
			return 0, 0, fmt.Errorf("%s %v: %w\n%s", name, args, err, out)
		}
		return d, cpu, nil
	}
	if _, _, err := run(gantry, "run", file); err != nil {
		return err
	}
	var gs, ts []time.Duration
	var gcpu, tcpu time.Duration
	for range n {
		t, tc, err := run("sh", "-c", Command)
		if err != nil {
			return err
		}
		g, gc, err := run(gantry, "run", file)
		if err != nil {
			return err
		}
		ts, gs = append(ts, t), append(gs, g)
		tcpu, gcpu = tcpu+tc, gcpu+gc
	}
	gm, tm := median(gs), median(ts)
	fmt.Fprintf(w, "%-58s gantry %9s  task %9s  +%s (want ≤ +%s: %s)  CPU %s vs %s\n",
		"start-up: gantry run of a one-task pipeline vs the task",
		gm.Round(10*time.Microsecond), tm.Round(10*time.Microsecond), (gm - tm).Round(10*time.Microsecond),
		limit, okOver(gm-tm <= limit),
		(gcpu / time.Duration(n)).Round(10*time.Microsecond), (tcpu / time.Duration(n)).Round(10*time.Microsecond))
	return nil
}
