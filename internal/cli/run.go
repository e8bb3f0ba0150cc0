package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/engine/pool"
	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/schedule"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/spf13/cobra"
)

type runFlags struct {
	params        []string
	date          string
	intervalStart string
	intervalEnd   string
	follow        bool
	store         string
	quiet         bool
	verbose       bool
}

func newRunCmd() *cobra.Command {
	var f runFlags
	c := &cobra.Command{
		Use:   "run FILE",
		Short: "Run a pipeline once, locally, to completion",
		Long: `Run executes every task of a pipeline once for one logical interval,
recording each attempt in the project's store (.gantry/gantry.db by default).

The interval is the day given by --date in the pipeline's time zone, or
--interval-start/--interval-end, or by default the one a server's trigger
picks: the last complete interval of the pipeline's schedule, or yesterday
in its time zone when it has no cron.

The run holds the store shared while it runs: a gantry serve on the same
store is refused meanwhile (it would take the run's tasks for a crashed
server's and kill them), and a run on a store a server holds is refused:
trigger it through that server instead.

Exit status: 0 when the run succeeded, 1 when it failed, 2 on a usage
error, 4 when a server holds the store, 130 when it was cancelled
(Ctrl-C); see gantry help exit-codes.`,
		Args: exactArgs(1, "a pipeline FILE"),
		RunE: func(c *cobra.Command, args []string) error {
			f.verbose, _ = c.Flags().GetBool("verbose")
			return runPipeline(c.Context(), c.OutOrStdout(), c.ErrOrStderr(), args[0], f)
		},
	}
	fl := c.Flags()
	fl.StringArrayVarP(&f.params, "param", "p", nil, "set a parameter, `key=value` (repeatable)")
	fl.StringVar(&f.date, "date", "", "run for this day, `YYYY-MM-DD`, in the pipeline's time zone")
	fl.StringVar(&f.intervalStart, "interval-start", "", "interval start (RFC 3339 or YYYY-MM-DD)")
	fl.StringVar(&f.intervalEnd, "interval-end", "", "interval end, exclusive (RFC 3339 or YYYY-MM-DD)")
	fl.BoolVarP(&f.follow, "follow", "f", false, "print task output as it happens, prefixed by task id")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print only the summary")
	fl.StringVar(&f.store, "store", "", "store: a SQLite file or postgres:// URL (default <project>/.gantry/gantry.db)")
	return c
}

func runPipeline(ctx context.Context, stdout, stderr io.Writer, file string, f runFlags) error {
	if err := exists(file); err != nil {
		return err
	}
	if fi, err := os.Stat(file); err == nil && fi.IsDir() {
		return usageErr("%s is a folder: want a pipeline file, such as %s", file, filepath.Join(file, "pipelines", "NAME.yaml"))
	}
	params, err := parseParams(f.params)
	if err != nil {
		return err
	}
	p, err := spec.LoadPipelineFile(file)
	if err != nil {
		var errs spec.Errors
		if errors.As(err, &errs) {
			fmt.Fprintln(stderr, errs.Error())
			return failed(fmt.Errorf("%s is not valid: nothing was run", file))
		}
		return failed(err)
	}
	start, end, err := interval(f, p, time.Now())
	if err != nil {
		return err
	}
	projectDir := spec.ProjectDir(file)
	// A server running the project holds its store: the run goes there.
	t := foundServer(ctx, projectDir, f.store)
	if t.url != "" {
		return refused(fmt.Errorf("another gantry server is using this project's store (%s): run it through that server (gantry trigger %s), or stop the server first; nothing was run", t.why, p.Name))
	}
	if f.verbose {
		fmt.Fprintf(stderr, "gantry: on the local store %s: %s\n", localStore(projectDir, f.store), t.why)
	}
	// Held shared for the run's life: no server starts on the store
	// meanwhile and takes this run's attempts for a dead server's.
	local, err := app.OpenLocal(ctx, app.LocalOptions{ProjectDir: projectDir, Store: f.store, Hold: app.HoldShared})
	var pe *app.ProjectFileError
	if errors.As(err, &pe) {
		var errs spec.Errors
		if errors.As(err, &errs) {
			fmt.Fprintln(stderr, errs.Error())
		}
		return failed(fmt.Errorf("project file is not valid: nothing was run"))
	}
	if errors.Is(err, app.ErrStoreInUse) {
		return refused(fmt.Errorf("%w: run it through that server (gantry trigger %s) or stop the server first; nothing was run", err, p.Name))
	}
	if err != nil {
		return failed(err)
	}
	defer local.Close()
	project := local.Project
	exe, err := app.Executors(nil, local.Store)
	if err != nil {
		return failed(err)
	}
	defer exe.Close()
	pr := newProgress(stdout, !f.quiet)
	if note := limitsNote(p, exe); note != "" {
		fmt.Fprintf(stdout, "note: %s\n", note)
	}
	eng := engine.New(engine.Config{
		Store:     local.Store,
		Executors: exe,
		LogDir:    local.LogDir,
		Secrets:   local.Secrets,
		Observe:   pr.event,
		LogLimit:  project.LogLimit(),
		// One run, but its tasks share the pool's slots as on a server.
		Pools: pool.New(project.PoolSlots()),
	})
	req := engine.Request{
		Pipeline: p, Params: params, Start: start, End: end,
		Trigger: record.TriggerManual, Dir: projectDir,
		Environments: engine.EnvironmentsFor(project, p, app.EnvSecrets(projectDir)),
	}
	// Claimed, not proven: enough to keep whoever started the run from
	// approving it here; approvals guarding a protected environment need
	// a server's token anyway.
	req.TriggeredBy, _ = claimedUser("")
	if f.follow {
		req.Follow = stdout
	}
	// Ctrl-C cancels the run for good; it is not left to resume.
	req.Cancel = ctx.Done()
	ctx = context.WithoutCancel(ctx)
	pr.header = fmt.Sprintf("run %%d: %s for [%s, %s)", p.Name, start.Format(time.RFC3339), end.Format(time.RFC3339))
	run, err := eng.Run(ctx, req)
	if err != nil {
		if errors.Is(err, engine.ErrRequest) {
			return usageErr("%v: nothing was run", err)
		}
		return failed(err)
	}
	if err := printSummary(ctx, stdout, &storeReader{local.Store}, run); err != nil {
		return failed(err)
	}
	logsHint := "gantry logs " + fmt.Sprint(run.ID)
	if projectDir != "." {
		logsHint += " --project " + projectDir
	}
	switch run.State {
	case record.RunSucceeded:
		fmt.Fprintf(stdout, "run %d succeeded in %s\n", run.ID, human(run.FinishedAt.Sub(run.StartedAt)))
		return nil
	case record.RunCancelled:
		fmt.Fprintf(stdout, "run %d cancelled; logs: %s\n", run.ID, logsHint)
		return silent(ExitCancelled)
	default:
		fmt.Fprintf(stdout, "run %d failed: %s\nlogs: %s\n", run.ID, run.Error, logsHint)
		return silent(ExitFailed)
	}
}

// limitsNote says once when a pipeline asks for limits the host cannot
// enforce.
func limitsNote(p *spec.Pipeline, exe executor.Set) string {
	for _, t := range p.Tasks {
		if t.Resources.MilliCPU <= 0 {
			continue
		}
		if ls, ok := exe.Limits(t.Kind); ok && !ls.CPU {
			return ls.Note
		}
	}
	return ""
}

func parseParams(kvs []string) (map[string]string, error) {
	out := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErr("--param %q: want key=value", kv)
		}
		out[k] = v
	}
	return out, nil
}

// interval works out the run's logical interval from the flags; without
// any, the default of a manual run, as a server's trigger has it.
func interval(f runFlags, p *spec.Pipeline, now time.Time) (time.Time, time.Time, error) {
	loc := time.UTC
	if p.Schedule != nil && p.Schedule.Location != nil {
		loc = p.Schedule.Location
	}
	if f.date != "" && (f.intervalStart != "" || f.intervalEnd != "") {
		return time.Time{}, time.Time{}, usageErr("--date cannot be combined with --interval-start/--interval-end")
	}
	if (f.intervalStart == "") != (f.intervalEnd == "") {
		return time.Time{}, time.Time{}, usageErr("--interval-start and --interval-end go together")
	}
	switch {
	case f.date != "":
		d, err := time.ParseInLocation("2006-01-02", f.date, loc)
		if err != nil {
			return time.Time{}, time.Time{}, usageErr("--date %q: want YYYY-MM-DD", f.date)
		}
		return d, d.AddDate(0, 0, 1), nil
	case f.intervalStart != "":
		s, err := parseInstant(f.intervalStart, loc)
		if err != nil {
			return time.Time{}, time.Time{}, usageErr("--interval-start: %v", err)
		}
		e, err := parseInstant(f.intervalEnd, loc)
		if err != nil {
			return time.Time{}, time.Time{}, usageErr("--interval-end: %v", err)
		}
		if !e.After(s) {
			return time.Time{}, time.Time{}, usageErr("--interval-end %s is not after --interval-start %s", f.intervalEnd, f.intervalStart)
		}
		return s, e, nil
	default:
		iv, err := schedule.ManualInterval(p.Schedule, now)
		if err != nil {
			return time.Time{}, time.Time{}, failed(fmt.Errorf("%s: schedule.cron: %w: nothing was run", p.File, err))
		}
		return iv.Start, iv.End, nil
	}
}

func parseInstant(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2026-11-21T00:00:00Z) or YYYY-MM-DD", s)
}
