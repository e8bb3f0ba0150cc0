package cli

import (
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/internal/app"
)

func newWorkerCmd() *cobra.Command {
	var (
		sf        storeFlags
		slots     int
		labels    string
		grace     time.Duration
		leaseTTL  time.Duration
		logFormat string
		logLevel  string
	)
	c := &cobra.Command{
		Use:   "worker",
		Short: "Run task attempts claimed from a PostgreSQL store that gantry serve processes share",
		Long: `Worker runs task attempts on this machine for the gantry serve processes
that share a PostgreSQL store: it claims queued attempts (those whose
worker labels its --labels include), runs each in this machine's copy of
the project (--project; a deployed revision's files are written from the
store the first time one is needed), resolves secret references through
this machine's secrets sources, ships each attempt's log to the store as
it is written, and records the result.

A claim is held under a lease the worker renews while the attempt runs,
however long. A worker that stops renewing (killed, cut off) loses its
claims: its attempts are recorded lost and retried within their retry
budget, and a result it reports after its lease ended is refused.

SIGINT or SIGTERM drains the worker: it claims no more, gives running
attempts --grace to finish, then ends the rest and hands them back to be
retried at once by another worker.`,
		Example: `  gantry worker --store postgres://gantry@db/gantry --slots 8 --labels zone=eu-1,gpu=true`,
		Args:    cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			log, err := newLogger(c.ErrOrStderr(), logFormat, logLevel)
			if err != nil {
				return err
			}
			if err := exists(sf.project); err != nil {
				return err
			}
			if slots < 1 {
				return usageErr("--slots %d: want 1 or more", slots)
			}
			if leaseTTL < 0 || grace < 0 {
				return usageErr("--lease-ttl and --grace: want positive durations")
			}
			ls, err := app.ParseLabels(labels)
			if err != nil {
				return usageErr("%v", err)
			}
			err = app.Worker(c.Context(), app.WorkerConfig{
				ProjectDir: sf.project, Store: sf.store, Slots: slots, Labels: ls,
				Grace: grace, LeaseTTL: leaseTTL, Logger: log,
			})
			if errors.Is(err, app.ErrUsage) {
				return usageErr("%v", err)
			}
			if err != nil {
				return failed(err)
			}
			return nil
		},
	}
	sf.add(c)
	c.Flags().IntVar(&slots, "slots", app.DefaultWorkerSlots, "task attempts this worker runs at once")
	c.Flags().StringVar(&labels, "labels", "", "this worker's labels, key=value,… (tasks with worker: {labels: …} run only on workers that carry them)")
	c.Flags().DurationVar(&grace, "grace", 30*time.Second, "on SIGINT or SIGTERM, how long running attempts may finish before they are handed back")
	c.Flags().DurationVar(&leaseTTL, "lease-ttl", 0, "how long a claim lasts unless renewed (renewed every third of it; default 10s, or $GANTRY_LEASE_TTL)")
	c.Flags().StringVar(&logFormat, "log-format", "text", "log format: text or json")
	c.Flags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	return c
}
