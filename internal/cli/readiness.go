package cli

import (
	"encoding/json"
	"io"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/readiness"
	"github.com/spf13/cobra"
)

func newReadinessCmd() *cobra.Command {
	var f deployFlags
	var env, format string
	var all bool
	c := &cobra.Command{
		Use:   "readiness PIPELINE|--all --env ENV",
		Short: "The SRE's verdict, from live data: is the pipeline READY to be operated in ENV?",
		Long: `Readiness assesses a pipeline in an environment from the store's live data and
prints one verdict, READY or NOT READY, with the reasons:

  gate        the readiness gate's findings for ENV
  coverage    every failure and degradation mode the pipeline can raise, the
              routes and channels it reaches, silences in force; a failure
              mode that reaches no channel is NOT READY
  test_fires  each channel's last successful test-fire: none in 30 days is
              NOT READY (gantry alerts test --route ROUTE)
  sla         the last 30 intervals against sla.deadline; the newest missed
              is NOT READY
  freshness   the newest succeeded interval against sla.freshness
  row_counts  the watched task's rows: the newest anomalous is NOT READY
  staging     the staging run of the revision: the whole DAG succeeded
  rollback    a plan is set, and the revision to return to
  backfill    the runbook's gantry backfill command plans runs (dry run)
  sizing      no task under-provisioned (gantry sizing)

The revision assessed is the one pending in ENV, else the active one, else
the pipeline's newest: what a promotion would bring. Exit 0 when READY
(every pipeline, with --all), 1 when NOT READY. --format markdown is what a
reviewer pastes into a change request; json is stable (version 1, the API's
GET /api/v1/pipelines/{name}/readiness).`,
		Args: func(c *cobra.Command, args []string) error {
			switch {
			case all && len(args) > 0:
				return usageErr("give a PIPELINE or --all, not both")
			case !all && len(args) != 1:
				return usageErr("%s needs a PIPELINE or --all (see gantry readiness --help)", c.CommandPath())
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if env == "" {
				return usageErr("%s needs --env ENV: the environment to assess", c.CommandPath())
			}
			if err := checkReportFormat(format); err != nil {
				return err
			}
			return withDeploy(c, &f, func(b api.DeployService, _ string) error {
				var reps []*readiness.Report
				if all {
					var err error
					if reps, err = b.ReadinessAll(c.Context(), env); err != nil {
						return err
					}
				} else {
					r, err := b.Readiness(c.Context(), args[0], env)
					if err != nil {
						return err
					}
					reps = []*readiness.Report{r}
				}
				if err := writeReports(c.OutOrStdout(), format, all, reps); err != nil {
					return err
				}
				for _, r := range reps {
					if !r.Ready {
						return silent(ExitFailed)
					}
				}
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&env, "env", "", "the environment to assess (required)")
	c.Flags().StringVar(&format, "format", "text", "output format: text, json or markdown")
	c.Flags().BoolVar(&all, "all", false, "every pipeline deployed anywhere")
	return c
}

func checkReportFormat(format string) error {
	switch format {
	case "text", "json", "markdown":
		return nil
	}
	return usageErr("unknown --format %q (want text, json or markdown)", format)
}

// writeReports writes reports as format; with --all, JSON is an object
// with a reports list, as the API's GET /api/v1/readiness.
func writeReports(w io.Writer, format string, all bool, reps []*readiness.Report) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if all {
			return enc.Encode(api.ReadinessList{Reports: reps})
		}
		return enc.Encode(reps[0])
	case "markdown":
		for i, r := range reps {
			if i > 0 {
				io.WriteString(w, "\n")
			}
			r.Markdown(w)
		}
	default:
		for i, r := range reps {
			if i > 0 {
				io.WriteString(w, "\n")
			}
			r.Text(w)
		}
	}
	return nil
}
