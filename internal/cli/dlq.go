package cli

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/spf13/cobra"
)

func newDLQCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "dlq",
		Short: "The dead-letter list: tasks whose retries ran out, and their replay",
	}
	c.AddCommand(newDLQListCmd(), newDLQShowCmd(), newDLQReplayCmd())
	return c
}

func newDLQListCmd() *cobra.Command {
	var (
		sf       storeFlags
		pipeline string
		all      bool
		limit    int
	)
	c := &cobra.Command{
		Use:   "list",
		Short: "List dead letters, newest first (not yet replayed, unless --all)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return withReader(c, sf, func(r reader) error {
				dls, err := r.ListDeadLetters(c.Context(), store.DeadLetterFilter{Pipeline: pipeline, Env: envFilter(c), Unreplayed: !all, Limit: limit})
				if err != nil {
					return fmt.Errorf("list dead letters: %w", err)
				}
				out := api.DeadLetterList{DeadLetters: make([]api.DeadLetterView, 0, len(dls))}
				for _, d := range dls {
					out.DeadLetters = append(out.DeadLetters, api.NewDeadLetterView(d))
				}
				return render(c, out, func(w io.Writer) error { return printDeadLetters(w, dls) })
			})
		},
	}
	sf.add(c)
	addServerFlag(c, "read from this gantry server")
	c.Flags().StringVar(&pipeline, "pipeline", "", "only this pipeline's")
	addEnvFlag(c, "only those of runs in this environment")
	c.Flags().BoolVar(&all, "all", false, "include replayed ones")
	c.Flags().IntVar(&limit, "limit", 50, "at most this many")
	addOutput(c)
	return c
}

func printDeadLetters(w io.Writer, dls []record.DeadLetter) error {
	if len(dls) == 0 {
		fmt.Fprintln(w, "no dead letters")
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tPIPELINE\tRUN\tTASK\tATTEMPTS\tAT\tREPLAYED\tERROR")
	for _, d := range dls {
		replayed := "-"
		if !d.ReplayedAt.IsZero() {
			replayed = d.ReplayedAt.Local().Format("2006-01-02 15:04") + " by " + d.ReplayedBy
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%d\t%s\t%s\t%s\n", d.ID, d.Pipeline, d.RunID, d.Task, d.Attempts,
			d.CreatedAt.Local().Format("2006-01-02 15:04:05"), replayed, d.Error)
	}
	return tw.Flush()
}

func parseDLQID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id < 1 {
		return 0, usageErr("ID %q: want a dead-letter number (see gantry dlq list)", s)
	}
	return id, nil
}

func newDLQShowCmd() *cobra.Command {
	var sf storeFlags
	c := &cobra.Command{
		Use:   "show ID",
		Short: "Show one dead letter and its last attempt's log",
		Args:  exactArgs(1, "a dead-letter ID"),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := parseDLQID(args[0])
			if err != nil {
				return err
			}
			return withReader(c, sf, func(r reader) error {
				d, err := r.GetDeadLetter(c.Context(), id)
				if err != nil {
					return err
				}
				return render(c, api.NewDeadLetterView(d), func(w io.Writer) error { return printDeadLetter(c.Context(), w, r, d) })
			})
		},
	}
	sf.add(c)
	addServerFlag(c, "read from this gantry server")
	addOutput(c)
	return c
}

// printDeadLetter is gantry dlq show's text: the dead letter and its last
// attempt's log.
func printDeadLetter(ctx context.Context, w io.Writer, r reader, d record.DeadLetter) error {
	fmt.Fprintf(w, "dead letter %d: pipeline %s, run %d, task %s\n", d.ID, d.Pipeline, d.RunID, d.Task)
	fmt.Fprintf(w, "attempts: %d\nlast error: %s\n", d.Attempts, d.Error)
	if !d.ReplayedAt.IsZero() {
		fmt.Fprintf(w, "replayed %s by %s\n", d.ReplayedAt.Local().Format("2006-01-02 15:04:05"), d.ReplayedBy)
	}
	atts, err := r.ListAttempts(ctx, d.RunID, d.Task)
	if err != nil {
		return err
	}
	for _, a := range atts {
		if a.ID == d.AttemptID {
			fmt.Fprintf(w, "\n==> last attempt (%d) log <==\n", a.Attempt)
			return r.Log(ctx, a, w)
		}
	}
	return nil
}

func newDLQReplayCmd() *cobra.Command {
	var (
		all      bool
		pipeline string
		force    bool
	)
	c := &cobra.Command{
		Use:   "replay ID | --all [--pipeline P] [--env E] [--force]",
		Short: "Re-run a dead letter's task and its downstream in the original run",
		Long: `Replay re-runs the task whose retries ran out, and every task downstream
of it, in the original run: same interval, same params, a fresh retry
budget, and the revision the run was pinned to, whatever is active now.
A run whose revision was rolled back in its environment since is refused:
replaying would run again what was taken out; --force replays it on that
revision anyway. The replay is recorded with who asked for it and when.
It goes through the server (--server, $GANTRY_SERVER, or the project's
running server).`,
		RunE: func(c *cobra.Command, args []string) error {
			if all == (len(args) == 1) || len(args) > 1 {
				return usageErr("give one dead-letter ID, or --all")
			}
			url := serverURL(c, "")
			if url == "" {
				return noServer(c)
			}
			cl := newClient(c, url)
			var ids []int64
			if all {
				dls, err := (&remoteReader{c: cl}).ListDeadLetters(c.Context(), store.DeadLetterFilter{Pipeline: pipeline, Env: envFilter(c), Unreplayed: true, Limit: 500})
				if err != nil {
					return remoteErr(url, err)
				}
				for _, d := range dls {
					ids = append(ids, d.ID)
				}
				if len(ids) == 0 {
					fmt.Fprintln(c.OutOrStdout(), "no dead letters to replay")
					return nil
				}
			} else {
				if c.Flags().Changed("env") || pipeline != "" {
					return usageErr("--pipeline and --env go with --all")
				}
				id, err := parseDLQID(args[0])
				if err != nil {
					return err
				}
				ids = []int64{id}
			}
			failures, code := 0, ExitFailed
			for _, id := range ids {
				v, err := cl.Replay(c.Context(), id, force)
				if err != nil {
					failures++
					err = remoteErr(url, err)
					fmt.Fprintf(c.ErrOrStderr(), "dead letter %d: %v\n", id, err)
					if len(ids) == 1 {
						code = exitCodeOf(err) // one replay: its own code; several: 1
					}
					continue
				}
				fmt.Fprintf(c.OutOrStdout(), "dead letter %d: replaying run %d (%s) %s, now %s\n", id, v.ID, v.Pipeline, replayedOn(v), v.State)
			}
			if failures > 0 {
				return silent(code)
			}
			return nil
		},
	}
	addServerFlag(c, "the gantry server")
	c.Flags().String("project", ".", "the project folder, whose admin token is used when no --token is given")
	c.Flags().BoolVar(&all, "all", false, "replay every dead letter not yet replayed")
	c.Flags().StringVar(&pipeline, "pipeline", "", "with --all: only this pipeline's")
	addEnvFlag(c, "with --all: only those of runs in this environment")
	c.Flags().BoolVar(&force, "force", false, "replay even on a revision rolled back since the run")
	return c
}

// replayedOn says what a replayed run runs: the revision it is pinned to,
// or the project's working tree.
func replayedOn(v api.RunView) string {
	if v.Revision == "" {
		return "on the working tree"
	}
	where := ""
	if v.Env != "" {
		where = ", " + v.Env
	}
	return fmt.Sprintf("on revision %s (pinned%s)", deploy.Short(v.Revision), where)
}

// addEnvFlag adds --env NAME; envFilter reads it. Given empty (--env ”)
// it selects what ran outside any deploy environment.
func addEnvFlag(c *cobra.Command, usage string) {
	c.Flags().String("env", "", usage+" (--env '' : outside any)")
}

// envFilter is --env as a store filter: nil when not given.
func envFilter(c *cobra.Command) *string {
	if !c.Flags().Changed("env") {
		return nil
	}
	env, _ := c.Flags().GetString("env")
	return &env
}
