package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/internal/monitor/export"
	"github.com/gantryhq/gantry/internal/spec"
)

func newExportCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "export",
		Short: "Write monitoring configuration for existing Prometheus and Grafana stacks",
		Long: `Export writes configuration derived from a project's pipelines for monitoring
stacks that already scrape Gantry's /metrics:

  gantry export prometheus-rules    alerting rules (failures, freshness, SLA
                                    deadline, row counts, dead letters,
                                    retries, scheduler lag)
  gantry export grafana-dashboard   a dashboard (run duration, error rate,
                                    row counts, freshness, queues)

Exit status: 0 on success, 1 when the project has spec errors or the file
cannot be written, 2 on a usage error.`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErr("unknown export %q (want prometheus-rules or grafana-dashboard)", args[0])
			}
			return nil
		},
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	c.AddCommand(
		newExportSubCmd("prometheus-rules", "Write Prometheus alerting rules over Gantry's metrics",
			`Check the file with 'promtool check rules FILE' and add it to rule_files in
prometheus.yml.`, export.PrometheusRules),
		newExportSubCmd("grafana-dashboard", "Write a Grafana dashboard over Gantry's metrics",
			`Import the JSON in Grafana (Dashboards > New > Import); choose the Prometheus
data source that scrapes Gantry.`, export.GrafanaDashboard),
	)
	return c
}

func newExportSubCmd(name, short, long string, render func([]*spec.Pipeline) ([]byte, error)) *cobra.Command {
	var project, output string
	c := &cobra.Command{
		Use:   name + " [--project DIR] [--output FILE]",
		Short: short,
		Long:  short + " for the pipelines of a project, to standard output or FILE.\n\n" + long,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErr("%s takes no arguments (see %s --help)", c.CommandPath(), c.CommandPath())
			}
			return nil
		},
		RunE: func(c *cobra.Command, _ []string) error {
			if err := exists(project); err != nil {
				return err
			}
			_, ps, err := spec.LoadProject(project)
			if err != nil {
				var errs spec.Errors
				if errors.As(err, &errs) {
					fmt.Fprintln(c.ErrOrStderr(), errs.Error())
					return failed(fmt.Errorf("%d error(s)", len(errs)))
				}
				return failed(err)
			}
			if len(ps) == 0 {
				return failed(fmt.Errorf("no pipelines found in %s (want a project folder with pipelines/)", project))
			}
			out, err := render(ps)
			if err != nil {
				return failed(err)
			}
			if output == "" || output == "-" {
				_, err = c.OutOrStdout().Write(out)
				return err
			}
			if err := writeFileAtomic(output, out); err != nil {
				return failed(fmt.Errorf("--output: %w", err))
			}
			return nil
		},
	}
	c.Flags().StringVar(&project, "project", ".", "project folder (holds gantry.yaml and pipelines/)")
	c.Flags().StringVarP(&output, "output", "o", "", "write to FILE instead of standard output")
	return c
}

// writeFileAtomic replaces path with data through a rename, so that
// Prometheus reloading its rules never reads half a file.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing left to remove
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
