package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/spf13/cobra"
)

func newAuditCmd() *cobra.Command {
	var f deployFlags
	var flt store.AuditFilter
	var since string
	c := &cobra.Command{
		Use:   "audit",
		Short: "Show the audit log: deploys, approvals, promotions, rollbacks, replays, tokens",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if since != "" {
				t, err := parseSince(since, time.Now())
				if err != nil {
					return usageErr("--since: %v", err)
				}
				flt.Since = t
			}
			return withDeploy(c, &f, func(b api.DeployService, _ string) error {
				evs, err := b.Audit(c.Context(), flt)
				if err != nil {
					return err
				}
				out := api.AuditList{Events: make([]api.AuditEventView, 0, len(evs))}
				for _, e := range evs {
					out.Events = append(out.Events, api.NewAuditEventView(e))
				}
				return render(c, out, func(w io.Writer) error { return printAudit(w, evs) })
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&flt.Pipeline, "pipeline", "", "only this pipeline's events")
	c.Flags().StringVar(&since, "since", "", "only events since `T`: RFC 3339, YYYY-MM-DD, or a duration ago (24h)")
	c.Flags().IntVarP(&flt.Limit, "limit", "n", 200, "show at most the newest this many")
	addOutput(c)
	return c
}

func printAudit(w io.Writer, evs []record.AuditEvent) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tPIPELINE\tENV\tREVISION\tDEPLOYMENT\tREASON\tDETAIL")
	for _, e := range evs {
		dep := "-"
		if e.DeploymentID != 0 {
			dep = fmt.Sprint(e.DeploymentID)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format(time.DateTime),
			e.Actor, e.Action, orDash(e.Pipeline), orDash(e.Env), orDash(deploy.Short(e.Revision)),
			dep, e.Reason, e.Detail)
	}
	return tw.Flush()
}

// parseSince reads an instant, a day, or a duration before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	return parseInstant(s, time.Local)
}
