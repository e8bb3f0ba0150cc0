package cli

import (
	"os"

	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/bench"
	"github.com/spf13/cobra"
)

func newBenchCmd() *cobra.Command {
	var (
		repeats int
		scale   []int
	)
	c := &cobra.Command{
		Use:   "bench",
		Short: "Measure the engine's overhead against raw process execution",
		Long: `Bench runs pipelines of 'true' tasks through the engine on a durable SQLite
store and compares each with a raw loop that execs the same command in the
same process, interleaved. It prints ratios, time per task at growing
scale, and this process's peak memory.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			dir, err := os.MkdirTemp("", "gantry-bench-")
			if err != nil {
				return failed(err)
			}
			defer os.RemoveAll(dir)
			exe, err := app.Executors(nil)
			if err != nil {
				return failed(err)
			}
			_, err = bench.Run(c.Context(), c.OutOrStdout(), bench.Options{Dir: dir, Repeats: repeats, Scale: scale,
				OpenStore: app.OpenStore, Exec: exe})
			if err != nil {
				return failed(err)
			}
			return nil
		},
	}
	c.AddCommand(newBenchServerCmd())
	c.Flags().IntVar(&repeats, "repeats", 5, "measurements per figure (the median is kept)")
	c.Flags().IntSliceVar(&scale, "scale", []int{100, 1000, 10000}, "task counts for the flatness test")
	return c
}

func newBenchServerCmd() *cobra.Command {
	var o bench.ServerOptions
	c := &cobra.Command{
		Use:   "server",
		Short: "Measure a real gantry serve: upstream and cron latency, memory and API latency with a large history",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			self, err := os.Executable()
			if err != nil {
				return failed(err)
			}
			dir, err := os.MkdirTemp("", "gantry-bench-server-")
			if err != nil {
				return failed(err)
			}
			defer os.RemoveAll(dir)
			o.Dir, o.Gantry = dir, self
			o.OpenStore, o.AdminToken = app.OpenStore, app.ReadAdminToken
			if err := bench.RunServer(c.Context(), c.OutOrStdout(), o); err != nil {
				return failed(err)
			}
			return nil
		},
	}
	c.Flags().IntVar(&o.Samples, "samples", 100, "latency samples")
	c.Flags().IntVar(&o.Pipelines, "pipelines", 1000, "pipelines in the history project")
	c.Flags().IntVar(&o.History, "history", 100000, "runs of history")
	return c
}
