package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/api/apiclient"
	"github.com/spf13/cobra"
)

// Commands that change a running server's state. They always go through
// the server, so that it acts at once: --server, $GANTRY_SERVER, or the
// project's running server (see target.go).

func serverCmd(use, short string, args cobra.PositionalArgs, run func(c *cobra.Command, cl *apiclient.Client, args []string) error) *cobra.Command {
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  args,
		RunE: func(c *cobra.Command, a []string) error {
			url := serverURL(c, "")
			if url == "" {
				return noServer(c)
			}
			cl := newClient(c, url)
			err := run(c, cl, a)
			var ee *exitError
			if err != nil && !errors.As(err, &ee) {
				err = remoteErr(url, err)
			}
			return hintPipeline(c, cl, err)
		},
	}
	addServerFlag(c, "the gantry server (default: the project's running server)")
	c.Flags().String("project", ".", "the project folder, whose admin token is used when no --token is given")
	return c
}

func newTriggerCmd() *cobra.Command {
	var (
		params []string
		date   string
	)
	c := serverCmd("trigger PIPELINE", "Start a run of a pipeline now", exactArgs(1, "a PIPELINE"),
		func(c *cobra.Command, cl *apiclient.Client, args []string) error {
			ps, err := parseParams(params)
			if err != nil {
				return err
			}
			v, err := cl.Trigger(c.Context(), api.TriggerRequest{Pipeline: args[0], Params: ps, Date: date})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "run %d of %s for [%s, %s) %s\n", v.ID, v.Pipeline,
				v.IntervalStart.Format(time.RFC3339), v.IntervalEnd.Format(time.RFC3339), v.State)
			return nil
		})
	c.Long = "Trigger creates a manual run of PIPELINE for --date (in the pipeline's time zone),\nor for its latest complete interval (yesterday in its time zone without a cron),\nas gantry run would, and returns; see it with gantry runs."
	c.Flags().StringArrayVarP(&params, "param", "p", nil, "set a parameter, `key=value` (repeatable)")
	c.Flags().StringVar(&date, "date", "", "run for this day, `YYYY-MM-DD`")
	return c
}

func newCancelCmd() *cobra.Command {
	return serverCmd("cancel RUN", "Cancel a run: its tasks are killed and it is recorded cancelled", exactArgs(1, "a RUN number"),
		func(c *cobra.Command, cl *apiclient.Client, args []string) error {
			id, err := parseRunID(args[0])
			if err != nil {
				return err
			}
			v, err := cl.Cancel(c.Context(), id)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "run %d %s\n", v.ID, v.State)
			return nil
		})
}

func newPauseCmd(pause bool) *cobra.Command {
	use, short := "pause PIPELINE", "Stop scheduling a pipeline; its queued runs wait"
	if !pause {
		use, short = "resume PIPELINE", "Schedule a paused pipeline again (missed intervals follow its catchup)"
	}
	return serverCmd(use, short, exactArgs(1, "a PIPELINE"),
		func(c *cobra.Command, cl *apiclient.Client, args []string) error {
			var err error
			if pause {
				err = cl.Pause(c.Context(), args[0])
			} else {
				err = cl.Resume(c.Context(), args[0])
			}
			if err != nil {
				return err
			}
			word := "paused"
			if !pause {
				word = "resumed"
			}
			fmt.Fprintf(c.OutOrStdout(), "%s %s\n", args[0], word)
			return nil
		})
}

func newReloadCmd() *cobra.Command {
	return serverCmd("reload", "Make the server re-read the project (as SIGHUP does); with --env its alert routes stay those deployed", cobra.NoArgs,
		func(c *cobra.Command, cl *apiclient.Client, _ []string) error {
			res, err := cl.Reload(c.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "loaded %d pipeline(s)\n", len(res.Loaded))
			for _, n := range res.Notes {
				fmt.Fprintln(c.OutOrStdout(), "note: "+n)
			}
			for _, e := range res.Errors {
				fmt.Fprintln(c.ErrOrStderr(), e)
			}
			if len(res.Errors) > 0 {
				fmt.Fprintln(c.ErrOrStderr(), "the previous version of each broken file keeps running")
				return silent(ExitFailed)
			}
			return nil
		})
}

func newBackfillCmd() *cobra.Command {
	var (
		from, to string
		parallel int
		dryRun   bool
		detach   bool
	)
	c := serverCmd("backfill PIPELINE --from D --to D", "Run a pipeline once per interval over a past range", exactArgs(1, "a PIPELINE"),
		func(c *cobra.Command, cl *apiclient.Client, args []string) error {
			if from == "" || to == "" {
				return usageErr("--from and --to are required: days (YYYY-MM-DD, inclusive) or instants (YYYY-MM-DDTHH:MM)")
			}
			if parallel < 1 {
				return usageErr("--parallel %d: want at least 1 run at a time", parallel)
			}
			st, err := cl.Backfill(c.Context(), api.BackfillRequest{Pipeline: args[0], From: from, To: to, Parallel: parallel, DryRun: dryRun})
			if err != nil {
				return err
			}
			w := c.OutOrStdout()
			if dryRun {
				printDryRun(w, args[0], parallel, st.Intervals)
				return nil
			}
			fmt.Fprintf(w, "backfill %d: %d run(s) of %s, %d at a time\n", st.Backfill.ID, st.Backfill.Total, args[0], st.Backfill.Parallel)
			if detach {
				fmt.Fprintf(w, "follow it with: gantry backfill status %d\n", st.Backfill.ID)
				return nil
			}
			return followBackfill(c.Context(), w, cl, st.Backfill.ID)
		})
	c.Long = `Backfill creates one run per interval of the pipeline's schedule (one per
day without a cron) that starts from --from to --to, in order, and runs them
--parallel at a time on their own budget, beside live schedules. It then
shows progress until they end; Ctrl-C stops watching (the backfill goes on:
gantry backfill cancel ID stops it).

--from and --to are days (YYYY-MM-DD; --to inclusive) or, for a
pipeline that runs more than daily, instants in the pipeline's time zone
(2026-11-01T06:00) or RFC 3339: then the intervals start from --from and
before --to. --dry-run says how many runs it would create, the first and
the last, and creates nothing.`
	c.Flags().StringVar(&from, "from", "", "first day `YYYY-MM-DD`, or instant YYYY-MM-DDTHH:MM")
	c.Flags().StringVar(&to, "to", "", "last day `YYYY-MM-DD` (inclusive), or instant YYYY-MM-DDTHH:MM (exclusive)")
	c.Flags().IntVar(&parallel, "parallel", 1, "runs at once")
	c.Flags().BoolVar(&dryRun, "dry-run", false, "say how many runs, the first and the last interval; create nothing")
	c.Flags().BoolVar(&detach, "detach", false, "return at once instead of showing progress")
	status := serverCmd("status ID", "Show a backfill's progress", exactArgs(1, "a backfill ID"),
		func(c *cobra.Command, cl *apiclient.Client, args []string) error {
			id, err := parseRunID(args[0])
			if err != nil {
				return err
			}
			st, err := cl.GetBackfill(c.Context(), id)
			if err != nil {
				return err
			}
			return render(c, st, func(w io.Writer) error { printBackfill(w, st); return nil })
		})
	addOutput(status)
	c.AddCommand(
		status,
		serverCmd("cancel ID", "Cancel every run of a backfill that has not ended", exactArgs(1, "a backfill ID"),
			func(c *cobra.Command, cl *apiclient.Client, args []string) error {
				id, err := parseRunID(args[0])
				if err != nil {
					return err
				}
				st, err := cl.CancelBackfill(c.Context(), id)
				if err != nil {
					return err
				}
				printBackfill(c.OutOrStdout(), st)
				return nil
			}),
	)
	return c
}

// printDryRun says what a backfill would create: how many runs, the
// first and the last interval.
func printDryRun(w io.Writer, pipeline string, parallel int, ivs []api.Interval) {
	if len(ivs) == 0 {
		fmt.Fprintf(w, "would create no runs of %s: no interval of its schedule falls in the range\n", pipeline)
		return
	}
	span := func(iv api.Interval) string {
		return fmt.Sprintf("[%s, %s)", iv.Start.Format(time.RFC3339), iv.End.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "would create %d run(s) of %s, %d at a time\n", len(ivs), pipeline, parallel)
	fmt.Fprintf(w, "  first %s\n", span(ivs[0]))
	if len(ivs) > 1 {
		fmt.Fprintf(w, "  last  %s\n", span(ivs[len(ivs)-1]))
	}
}

func printBackfill(w io.Writer, st api.BackfillStatusView) {
	b := st.Backfill
	line := fmt.Sprintf("backfill %d (%s): %s, %d/%d done, %d failed, %d cancelled, %d running",
		b.ID, b.Pipeline, b.State, st.Done, b.Total, st.Failed, st.Cancelled, st.Running)
	if st.ETASeconds > 0 {
		line += ", ETA " + human(time.Duration(st.ETASeconds*float64(time.Second)))
	}
	fmt.Fprintln(w, line)
}

// followBackfill prints progress whenever it changes, until the backfill
// ends or the user stops watching.
func followBackfill(ctx context.Context, w io.Writer, cl *apiclient.Client, id int64) error {
	last := ""
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		st, err := cl.GetBackfill(context.WithoutCancel(ctx), id)
		if err != nil {
			return err
		}
		line := fmt.Sprintf("%d/%d/%d/%d/%s", st.Done, st.Failed, st.Cancelled, st.Running, st.Backfill.State)
		if line != last {
			printBackfill(w, st)
			last = line
		}
		if st.Backfill.State != "running" {
			if st.Failed > 0 || st.Cancelled > 0 {
				// Not every interval ran: as when cancelled runs counted as failed.
				return silent(ExitFailed)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(w, "stopped watching; backfill %d goes on (gantry backfill cancel %d stops it)\n", id, id)
			return nil
		case <-tick.C:
		}
	}
}
