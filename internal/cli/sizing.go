package cli

import (
	"encoding/json"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/spf13/cobra"
)

func newSizingCmd() *cobra.Command {
	var f deployFlags
	var env, format string
	var last int
	c := &cobra.Command{
		Use:   "sizing PIPELINE --env ENV",
		Short: "Each task's peak memory and CPU in ENV, from its recorded attempts, against its limits",
		Long: `Sizing reads the last --last succeeded attempts of each task in ENV and prints
peak memory and CPU (p50, p95, max), the interval of the largest volume (the
attempt with the most rows, else the highest peak: the biggest backfill day),
and the limit. Findings:

  UNDER-PROVISIONED  max peak above 80% of the limit, or any attempt killed
                     for memory: NOT READY in gantry readiness
  WASTEFUL           p95 under 10% of the limit

each with a recommended limit (peak × 1.5, rounded up to 64Mi or 100m) and
the evidence. A pipeline with no run in ENV yet is sized from its staging
run, and says so.`,
		Args: exactArgs(1, "a PIPELINE"),
		RunE: func(c *cobra.Command, args []string) error {
			if env == "" {
				return usageErr("%s needs --env ENV: the environment whose runs to read", c.CommandPath())
			}
			if format != "text" && format != "json" && format != "markdown" {
				return usageErr("unknown --format %q (want text, json or markdown)", format)
			}
			if last < 1 || last > api.MaxLimit {
				return usageErr("--last must be from 1 to %d, got %d", api.MaxLimit, last)
			}
			return withDeploy(c, &f, func(b api.DeployService, _ string) error {
				sz, err := b.Sizing(c.Context(), args[0], env, last)
				if err != nil {
					return err
				}
				switch format {
				case "json":
					enc := json.NewEncoder(c.OutOrStdout())
					enc.SetIndent("", "  ")
					return enc.Encode(sz)
				case "markdown":
					sz.Markdown(c.OutOrStdout())
				default:
					sz.Text(c.OutOrStdout())
				}
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&env, "env", "", "the environment whose runs to read (required)")
	c.Flags().StringVar(&format, "format", "text", "output format: text, json or markdown")
	c.Flags().IntVar(&last, "last", 20, "succeeded attempts per task to read")
	return c
}
