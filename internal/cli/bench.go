package cli

import (
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/bench"
	"github.com/spf13/cobra"
)

func newBenchCmd() *cobra.Command {
	var (
		repeats    int
		scale      []int
		chain      int
		storeURL   string
		cpuprofile string
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
			exe, err := app.Executors(nil, nil)
			if err != nil {
				return failed(err)
			}
			defer exe.Close()
			if storeURL != "" && !strings.HasPrefix(storeURL, "postgres://") && !strings.HasPrefix(storeURL, "postgresql://") {
				return usageErr("--store %q: want a postgres:// URL (without it, the runs share one durable SQLite file, as a project's runs do)", app.Redact(storeURL))
			}
			self, err := os.Executable()
			if err != nil {
				return failed(err)
			}
			if cpuprofile != "" {
				f, err := os.Create(cpuprofile)
				if err != nil {
					return failed(err)
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return failed(err)
				}
				defer pprof.StopCPUProfile()
			}
			_, err = bench.Run(c.Context(), c.OutOrStdout(), bench.Options{Dir: dir, Repeats: repeats, Scale: scale,
				Chain: chain, Store: storeURL, Gantry: self, OpenStore: app.OpenStore, Exec: exe})
			if err != nil {
				return failed(err)
			}
			return nil
		},
	}
	c.AddCommand(newBenchServerCmd(), newBenchFailoverCmd(), newBenchClusterCmd())
	c.Flags().IntVar(&repeats, "repeats", 5, "measurements per figure (the median is kept)")
	c.Flags().IntSliceVar(&scale, "scale", []int{100, 1000, 10000}, "task counts for the flatness test")
	c.Flags().IntVar(&chain, "chain", 1000, "length of the long chain whose own CPU per task is judged")
	c.Flags().StringVar(&storeURL, "store", "", "a PostgreSQL URL to measure that store instead of durable SQLite files")
	c.Flags().StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile of the whole session to this file (go tool pprof FILE)")
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

func newBenchClusterCmd() *cobra.Command {
	var o bench.ClusterOptions
	c := &cobra.Command{
		Use:   "cluster",
		Short: "Measure task throughput through 1, 2 and 4 gantry worker processes on a PostgreSQL store",
		Long: `Cluster starts one gantry serve that runs no task itself
($GANTRY_WORKER_SLOTS=0) on the PostgreSQL store named by --store (use an
empty schema of its own), then gantry worker processes of one slot each, and
times runs of --tasks independent tasks that each sleep --sleep, for each
count of workers in --workers. It prints tasks per second and the ratio to
one worker's.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if !strings.HasPrefix(o.Store, "postgres://") && !strings.HasPrefix(o.Store, "postgresql://") {
				return usageErr("--store: want a postgres:// URL (workers share a PostgreSQL store)")
			}
			if o.Tasks < 1 || o.Repeats < 1 || o.Sleep <= 0 {
				return usageErr("--tasks and --repeats must be at least 1, --sleep positive")
			}
			for _, n := range o.Workers {
				if n < 1 || n > 64 {
					return usageErr("--workers %d: want 1 to 64", n)
				}
			}
			self, err := os.Executable()
			if err != nil {
				return failed(err)
			}
			dir, err := os.MkdirTemp("", "gantry-bench-cluster-")
			if err != nil {
				return failed(err)
			}
			defer os.RemoveAll(dir)
			o.Dir, o.Gantry, o.OpenStore = dir, self, app.OpenStore
			if err := bench.RunCluster(c.Context(), c.OutOrStdout(), o); err != nil {
				return failed(err)
			}
			return nil
		},
	}
	c.Flags().StringVar(&o.Store, "store", "", "the PostgreSQL store the processes share (postgres://…)")
	c.Flags().IntSliceVar(&o.Workers, "workers", []int{1, 2, 4}, "worker process counts to measure")
	c.Flags().IntVar(&o.Tasks, "tasks", 40, "independent tasks per run")
	c.Flags().DurationVar(&o.Sleep, "sleep", 50*time.Millisecond, "how long each task sleeps")
	c.Flags().IntVar(&o.Repeats, "repeats", 3, "runs per worker count (the median is kept)")
	return c
}

func newBenchFailoverCmd() *cobra.Command {
	var o bench.FailoverOptions
	c := &cobra.Command{
		Use:   "failover",
		Short: "Measure failover on PostgreSQL: kill -9 of the leading gantry serve to the next scheduled run started by its replica",
		Long: `Failover runs two gantry serve processes on the PostgreSQL store named by
--store (use an empty schema of its own: the benchmark's pipeline "tick" runs
every second there), kills the leader with SIGKILL, and measures the time
until the replica starts the next scheduled run; then it starts a new replica
and does it again, --trials times. It prints each trial, the median and the
maximum.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if !strings.HasPrefix(o.Store, "postgres://") && !strings.HasPrefix(o.Store, "postgresql://") {
				return usageErr("--store: want a postgres:// URL (failover needs servers sharing a PostgreSQL store)")
			}
			if o.Trials < 1 {
				return usageErr("--trials must be at least 1")
			}
			self, err := os.Executable()
			if err != nil {
				return failed(err)
			}
			dir, err := os.MkdirTemp("", "gantry-bench-failover-")
			if err != nil {
				return failed(err)
			}
			defer os.RemoveAll(dir)
			o.Dir, o.Gantry, o.OpenStore = dir, self, app.OpenStore
			if err := bench.RunFailover(c.Context(), c.OutOrStdout(), o); err != nil {
				return failed(err)
			}
			return nil
		},
	}
	c.Flags().StringVar(&o.Store, "store", "", "the PostgreSQL store the servers share (postgres://…)")
	c.Flags().IntVar(&o.Trials, "trials", 20, "leaders killed")
	c.Flags().DurationVar(&o.LeaseTTL, "lease-ttl", 0, "the servers' --lease-ttl (default theirs, 10s)")
	return c
}
