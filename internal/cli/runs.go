package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/api/apiclient"
	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/spf13/cobra"
)

// openProjectStore opens the store of the project named by f.
func openProjectStore(ctx context.Context, f storeFlags) (store.Store, error) {
	if err := exists(f.project); err != nil {
		return nil, err
	}
	l, err := app.OpenLocal(ctx, app.LocalOptions{ProjectDir: f.project, Store: f.store, MustExist: true})
	var pe *app.ProjectFileError
	var ne *app.NoStoreError
	switch {
	case errors.As(err, &pe):
		return nil, failed(fmt.Errorf("project file: %w", pe.Err))
	case errors.As(err, &ne):
		return nil, &exitError{code: ExitNotFound, err: fmt.Errorf("no runs yet: %s does not exist (run a pipeline first, or pass --project/--store)", ne.URL)}
	case err != nil:
		return nil, failed(err)
	}
	return l.Store, nil
}

// withReader runs fn against the local store or the server named by
// --server, and turns what goes wrong into the user's error.
func withReader(c *cobra.Command, sf storeFlags, fn func(r reader) error) error {
	r, err := openReader(c, sf)
	if err != nil {
		return err
	}
	defer r.Close()
	err = fn(r)
	var ee *exitError
	if err == nil || errors.As(err, &ee) {
		return err
	}
	if url := serverURL(c, ""); url != "" {
		return remoteErr(url, err)
	}
	return failed(err)
}

func newRunsCmd() *cobra.Command {
	var (
		sf       storeFlags
		pipeline string
		states   []string
		limit    int
	)
	c := &cobra.Command{
		Use:   "runs",
		Short: "List recent runs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if limit < 1 {
				return usageErr("--limit must be at least 1")
			}
			f := store.RunFilter{Pipeline: pipeline, Env: envFilter(c), Limit: limit}
			for _, s := range states {
				rs := record.RunState(s)
				switch rs {
				case record.RunQueued, record.RunWaiting, record.RunRunning, record.RunSucceeded, record.RunFailed, record.RunCancelled:
				default:
					return usageErr("--state %q: want queued, waiting_upstream, running, succeeded, failed or cancelled", s)
				}
				f.States = append(f.States, rs)
			}
			return withReader(c, sf, func(r reader) error {
				runs, err := r.ListRuns(c.Context(), f)
				if err != nil {
					return fmt.Errorf("list runs: %w", err)
				}
				out := api.RunList{Runs: make([]api.RunView, 0, len(runs))}
				for _, r := range runs {
					out.Runs = append(out.Runs, api.NewRunView(r, nil))
				}
				return render(c, out, func(w io.Writer) error { return printRuns(w, runs) })
			})
		},
	}
	sf.add(c)
	addServerFlag(c, "read from this gantry server")
	c.Flags().StringVar(&pipeline, "pipeline", "", "only runs of this pipeline")
	addEnvFlag(c, "only runs in this environment")
	c.Flags().StringSliceVar(&states, "state", nil, "only runs in this state (repeatable)")
	c.Flags().IntVar(&limit, "limit", 20, "at most this many runs")
	addOutput(c)
	c.AddCommand(newRunsShowCmd())
	return c
}

func newRunsShowCmd() *cobra.Command {
	var sf storeFlags
	c := &cobra.Command{
		Use:   "show RUN",
		Short: "Show one run: its interval, state and every task's outcome",
		Args:  exactArgs(1, "a RUN number"),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := parseRunID(args[0])
			if err != nil {
				return err
			}
			return withReader(c, sf, func(r reader) error {
				run, tasks, err := r.GetRun(c.Context(), id)
				if err != nil {
					return err
				}
				return render(c, api.NewRunView(run, tasks), func(w io.Writer) error { return printRun(c.Context(), w, r, run) })
			})
		},
	}
	sf.add(c)
	addServerFlag(c, "read from this gantry server")
	addOutput(c)
	return c
}

// printRun is gantry runs show's table.
func printRun(ctx context.Context, w io.Writer, r reader, run record.Run) error {
	fmt.Fprintf(w, "run %d  %s  %s  trigger %s\n", run.ID, run.Pipeline, run.State, run.Trigger)
	fmt.Fprintf(w, "interval [%s, %s)\n", run.IntervalStart.Format(time.RFC3339), run.IntervalEnd.Format(time.RFC3339))
	fmt.Fprintf(w, "env %s  revision %s\n", orDash(run.Env), orDash(deploy.Short(run.Revision)))
	if run.Error != "" {
		fmt.Fprintf(w, "error: %s\n", run.Error)
	}
	if err := printSummary(ctx, w, r, run); err != nil {
		return err
	}
	return printOutputErrors(ctx, w, r, run.ID)
}

// printOutputErrors lists what was wrong with what tasks wrote to
// $GANTRY_OUTPUT, attempt by attempt.
func printOutputErrors(ctx context.Context, w io.Writer, r reader, id int64) error {
	atts, err := r.ListAttempts(ctx, id, "")
	if err != nil {
		return fmt.Errorf("read run %d: %w", id, err)
	}
	header := false
	for _, a := range atts {
		for _, e := range a.OutputErrors {
			if !header {
				fmt.Fprintln(w, "\n$GANTRY_OUTPUT problems (those lines were ignored):")
				header = true
			}
			fmt.Fprintf(w, "  %s attempt %d: %s\n", a.Task, a.Attempt, e)
		}
	}
	return nil
}

func parseRunID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, usageErr("RUN %q: want a run number (see gantry runs)", s)
	}
	return id, nil
}

func printRuns(w io.Writer, runs []record.Run) error {
	if len(runs) == 0 {
		fmt.Fprintln(w, "no runs")
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "RUN\tPIPELINE\tSTATE\tTRIGGER\tENV\tREVISION\tINTERVAL START\tSTARTED\tDURATION\tERROR")
	for _, r := range runs {
		dur := "-"
		if !r.FinishedAt.IsZero() && !r.StartedAt.IsZero() {
			dur = human(r.FinishedAt.Sub(r.StartedAt))
		}
		started := "-"
		if !r.StartedAt.IsZero() {
			started = r.StartedAt.Local().Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Pipeline, r.State, r.Trigger,
			orDash(r.Env), orDash(deploy.Short(r.Revision)), r.IntervalStart.Format(time.RFC3339), started, dur, r.Error)
	}
	return tw.Flush()
}

func newLogsCmd() *cobra.Command {
	var (
		sf      storeFlags
		attempt int
		tail    int
		follow  bool
	)
	c := &cobra.Command{
		Use:   "logs RUN [TASK]",
		Short: "Print the logs of a run's task attempts",
		Long: `Logs prints the captured output of every task attempt of a run, or of
one task; --attempt picks one attempt (default: all). With --server,
--tail N prints the last N lines of each and --follow streams the output
until the attempts end.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := parseRunID(args[0])
			if err != nil {
				return err
			}
			task := ""
			if len(args) == 2 {
				task = args[1]
			}
			if tail != 0 || follow {
				url := serverURL(c, "")
				if url == "" {
					return usageErr("--tail and --follow read through a server: add --server URL (or set $GANTRY_SERVER)")
				}
				if tail < 0 {
					return usageErr("--tail must be at least 1")
				}
				return remoteErr(url, streamLogs(c.Context(), c.OutOrStdout(), newClient(c, url), id, api.LogQuery{Task: task, Attempt: attempt, Tail: tail, Follow: follow}))
			}
			return withReader(c, sf, func(r reader) error {
				return printLogs(c.Context(), c.OutOrStdout(), r, id, task, attempt)
			})
		},
	}
	sf.add(c)
	addServerFlag(c, "read from this gantry server")
	c.Flags().IntVar(&attempt, "attempt", 0, "only this attempt number")
	c.Flags().IntVar(&tail, "tail", 0, "with --server: only the last N lines of each attempt")
	c.Flags().BoolVarP(&follow, "follow", "f", false, "with --server: keep printing output until the attempts end")
	return c
}

// streamLogs copies the server's log stream to w.
func streamLogs(ctx context.Context, w io.Writer, cl *apiclient.Client, id int64, q api.LogQuery) error {
	body, err := cl.Logs(ctx, id, q)
	if err != nil {
		return err
	}
	defer body.Close()
	_, err = io.Copy(w, body)
	if ctx.Err() != nil {
		return nil // the user stopped following
	}
	return err
}

func printLogs(ctx context.Context, w io.Writer, r reader, id int64, task string, attempt int) error {
	_, tasks, err := r.GetRun(ctx, id)
	if err != nil {
		return err
	}
	if task != "" {
		names := make([]string, len(tasks))
		known := false
		for i, t := range tasks {
			names[i] = t.Task
			known = known || t.Task == task
		}
		if !known {
			return failed(fmt.Errorf("run %d has no task %q (its tasks: %s): %w", id, task, strings.Join(names, ", "), store.ErrNotFound))
		}
	}
	atts, err := r.ListAttempts(ctx, id, task)
	if err != nil {
		return err
	}
	shown := 0
	for _, a := range atts {
		if attempt > 0 && a.Attempt != attempt {
			continue
		}
		shown++
		fmt.Fprintf(w, "==> run %d task %s attempt %d: %s", id, a.Task, a.Attempt, a.State)
		if a.Error != "" && a.Error != string(a.State) {
			fmt.Fprintf(w, " (%s)", a.Error)
		}
		fmt.Fprintln(w, " <==")
		if err := r.Log(ctx, a, w); err != nil {
			fmt.Fprintf(w, "(log unavailable: %v)\n", err)
		}
	}
	if shown == 0 {
		switch {
		case task != "" && attempt > 0:
			return failed(fmt.Errorf("run %d has no attempt %d of task %q: %w", id, attempt, task, store.ErrNotFound))
		case task != "":
			return failed(fmt.Errorf("task %q of run %d has not started", task, id))
		default:
			return failed(fmt.Errorf("run %d has no attempts yet: %w", id, store.ErrNotFound))
		}
	}
	return nil
}
