package cli

import (
	"errors"
	"fmt"
	"strconv"
	"text/tabwriter"

	"github.com/gantryhq/gantry/internal/store"
	"github.com/spf13/cobra"
)

func newDLQCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "dlq",
		Short: "Inspect the dead-letter list: tasks whose retries ran out",
	}
	c.AddCommand(newDLQListCmd(), newDLQShowCmd())
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
			st, err := openProjectStore(c.Context(), sf)
			if err != nil {
				return err
			}
			defer st.Close()
			dls, err := st.ListDeadLetters(c.Context(), store.DeadLetterFilter{Pipeline: pipeline, Unreplayed: !all, Limit: limit})
			if err != nil {
				return failed(fmt.Errorf("list dead letters: %w", err))
			}
			w := c.OutOrStdout()
			if len(dls) == 0 {
				fmt.Fprintln(w, "no dead letters")
				return nil
			}
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPIPELINE\tRUN\tTASK\tATTEMPTS\tAT\tERROR")
			for _, d := range dls {
				fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%d\t%s\t%s\n", d.ID, d.Pipeline, d.RunID, d.Task, d.Attempts,
					d.CreatedAt.Local().Format("2006-01-02 15:04:05"), d.Error)
			}
			return tw.Flush()
		},
	}
	sf.add(c)
	c.Flags().StringVar(&pipeline, "pipeline", "", "only this pipeline's")
	c.Flags().BoolVar(&all, "all", false, "include replayed ones")
	c.Flags().IntVar(&limit, "limit", 50, "at most this many")
	return c
}

func newDLQShowCmd() *cobra.Command {
	var sf storeFlags
	c := &cobra.Command{
		Use:   "show ID",
		Short: "Show one dead letter and its last attempt's log",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id < 1 {
				return usageErr("ID %q: want a dead-letter number (see gantry dlq list)", args[0])
			}
			st, err := openProjectStore(c.Context(), sf)
			if err != nil {
				return err
			}
			defer st.Close()
			d, err := st.GetDeadLetter(c.Context(), id)
			if errors.Is(err, store.ErrNotFound) {
				return failed(fmt.Errorf("dead letter %d not found", id))
			}
			if err != nil {
				return failed(err)
			}
			w := c.OutOrStdout()
			fmt.Fprintf(w, "dead letter %d: pipeline %s, run %d, task %s\n", d.ID, d.Pipeline, d.RunID, d.Task)
			fmt.Fprintf(w, "attempts: %d\nlast error: %s\n", d.Attempts, d.Error)
			if !d.ReplayedAt.IsZero() {
				fmt.Fprintf(w, "replayed %s by %s\n", d.ReplayedAt.Local().Format("2006-01-02 15:04:05"), d.ReplayedBy)
			}
			a, err := st.GetAttempt(c.Context(), d.AttemptID)
			if err == nil {
				fmt.Fprintf(w, "\n==> last attempt (%d) log <==\n", a.Attempt)
				if err := copyFile(w, a.LogPath); err != nil {
					fmt.Fprintln(w, "(no output)")
				}
			}
			return nil
		},
	}
	sf.add(c)
	return c
}
