package cli

import (
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/gantryhq/gantry/internal/app"
	"github.com/spf13/cobra"
)

type serveFlags struct {
	storeFlags
	addr      string
	env       string
	publicURL string
	logFormat string
	logLevel  string
	grace     time.Duration
	leaseTTL  time.Duration
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the project's pipelines on their schedules, with an HTTP API and metrics",
		Long: `Serve loads the project's pipelines and runs them on their own: cron
schedules in each pipeline's time zone, upstream triggers, backfills and
replays, with the HTTP API under /api/v1, /healthz, /readyz and /metrics.

SIGHUP (or gantry reload) re-reads the project; a file that no longer parses
is reported and its previous version keeps running. SIGINT or SIGTERM stops
the server: runs in flight are suspended and resume when it starts again.
A server killed outright resumes them the same way.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			return serve(c, f)
		},
	}
	f.add(c)
	c.Flags().StringVar(&f.addr, "addr", "127.0.0.1:8080", "address the HTTP API listens on")
	c.Flags().StringVar(&f.env, "env", "", "run the revisions deployed to this environment instead of the project's files")
	c.Flags().StringVar(&f.publicURL, "public-url", "", "the server's address as people reach it, for links in alerts (default http://ADDR)")
	c.Flags().StringVar(&f.logFormat, "log-format", "text", "log format: text or json")
	c.Flags().StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	c.Flags().DurationVar(&f.leaseTTL, "lease-ttl", 0, "how long the leader lease lasts unless renewed (renewed every third of it; default 10s, or $GANTRY_LEASE_TTL)")
	c.Flags().DurationVar(&f.grace, "shutdown-grace", 30*time.Second, "how long SIGINT or SIGTERM waits for runs to suspend before the process exits anyway")
	return c
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usageErr("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, usageErr("--log-format %q: want text or json", format)
	}
}

func serve(c *cobra.Command, f serveFlags) error {
	log, err := newLogger(c.ErrOrStderr(), f.logFormat, f.logLevel)
	if err != nil {
		return err
	}
	if err := exists(f.project); err != nil {
		return err
	}
	err = app.Serve(c.Context(), app.Config{
		ProjectDir: f.project, Store: f.store, Addr: f.addr, Env: f.env, PublicURL: f.publicURL,
		Grace: f.grace, LeaseTTL: f.leaseTTL, Logger: log, Version: version, Commands: commandLines(c.Root()),
	})
	if errors.Is(err, app.ErrUsage) {
		return usageErr("%v", err)
	}
	if err != nil {
		return failed(err)
	}
	return nil
}
