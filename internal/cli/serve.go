package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/gantryhq/gantry/internal/alert/manager"
	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/monitor"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/server"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/ui"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
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
	ctx := c.Context()
	log, err := newLogger(c.ErrOrStderr(), f.logFormat, f.logLevel)
	if err != nil {
		return err
	}
	if err := exists(f.project); err != nil {
		return err
	}
	dir, err := filepath.Abs(f.project)
	if err != nil {
		return failed(err)
	}
	project, err := app.LoadProjectFile(dir)
	if err != nil {
		var errs spec.Errors
		if errors.As(err, &errs) {
			return failed(fmt.Errorf("gantry.yaml is not valid:\n%s", errs.Error()))
		}
		return failed(err)
	}
	url := app.StoreURL(f.store, dir, project)
	excl, err := app.OpenExclusive(ctx, dir, url)
	if errors.Is(err, app.ErrStoreInUse) {
		return refused(err)
	}
	if err != nil {
		return failed(err)
	}
	defer excl.Close()
	excl.Watch(log)
	// Every write that moves runs is watched: /readyz and
	// gantry_store_writes_failing say when the store stops taking them.
	health := &store.Health{}
	st := store.WithHealth(excl, health)
	exe, err := app.Executors(log)
	if err != nil {
		return failed(err)
	}
	for _, note := range exe.LimitNotes() {
		log.Warn(note)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if f.env != "" && project.Environment(f.env) == nil {
		return usageErr("--env %s: gantry.yaml declares no such environment", f.env)
	}
	srv := server.New(server.Config{
		ProjectDir:  dir,
		Store:       st,
		StoreHealth: readiness{health, excl},
		LogLimit:    project.LogLimit(),
		Executors:   exe,
		Secrets:     app.Secrets(dir, project),
		LogDir:      app.LogDir(dir),
		Logger:      log,
		Env:         f.env,
		RevisionDir: filepath.Join(dir, ".gantry", "revisions"),
		EnvSecrets: func(s spec.Secrets) engine.SecretFunc {
			return app.Secrets(dir, &spec.Project{Secrets: s})
		},
	})
	var alerts *manager.Manager // set below, before anything is served
	lifecycle := deploy.New(deploy.Options{Store: st, Starter: srv.StagingStarter(), Check: gate(c.Root(), st),
		TestFire: func(ctx context.Context, proj *spec.Project, route, actor string) (record.TestFire, error) {
			tf, _, err := alerts.TestFireWith(ctx, proj, route, actor)
			return tf, err
		}})
	srv.SetDeployments(server.Lifecycle{Svc: lifecycle})
	if err := adminToken(ctx, lifecycle, dir, log); err != nil {
		return failed(err)
	}
	metrics, err := monitor.New(reg, srv, version)
	if err != nil {
		return failed(err)
	}
	srv.SetObserver(metrics)
	if err := monitor.RegisterStoreHealth(reg, health); err != nil {
		return failed(err)
	}
	if err := monitor.RegisterPools(reg, srv); err != nil {
		return failed(err)
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return failed(fmt.Errorf("listen on %s: %w", f.addr, err))
	}
	if f.publicURL == "" {
		f.publicURL = "http://" + ln.Addr().String()
	}
	alerts, err = manager.New(manager.Config{
		Store: st, Project: srv.Project, Targets: srv.AlertTargets, Secrets: app.Secrets(dir, project),
		BaseURL: f.publicURL, Logger: log.With("component", "alerts"),
	})
	if err != nil {
		ln.Close()
		return failed(err)
	}
	srv.SetAlerter(alerts)
	if err := srv.Start(ctx); err != nil {
		ln.Close()
		return failed(err)
	}
	defer srv.Stop()
	if err := alerts.Start(ctx); err != nil {
		ln.Close()
		return failed(err)
	}
	defer alerts.Stop()
	h := api.NewHandler(srv, api.Options{
		Logger: log, Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Alerts:     &server.AlertAPI{M: alerts, Audit: st.AppendAudit},
		Deploy:     server.DeployAPI{Service: lifecycle, S: srv},
		Auth:       api.TokenAuth{Tokens: lifecycle},
		Registerer: reg,
	})
	root := http.NewServeMux()
	ui.Register(root, ui.Options{Source: srv, Auth: api.TokenAuth{Tokens: lifecycle}, Logger: log})
	root.Handle("/", h)
	hs := &http.Server{Handler: root, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "project", dir, "store", app.Redact(url))

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-hup:
			if _, err := srv.Reload(ctx); err != nil {
				log.Error("reload", "err", err)
			}
		case err := <-serveErr:
			return failed(fmt.Errorf("http: %w", err))
		case err := <-excl.Lost():
			return failed(err)
		case <-ctx.Done():
			log.Info("stopping: runs in flight are suspended and resume on the next start")
			// Whatever holds the stop up (a store that does not answer, a
			// task that ignores its signals), the process ends in time:
			// what it leaves is recovered on the next start, as after
			// kill -9.
			time.AfterFunc(f.grace, func() {
				log.Error("stopping took longer than --shutdown-grace; exiting now: what was in flight resumes on the next start", "grace", f.grace)
				os.Exit(1)
			})
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = hs.Shutdown(sctx)
			cancel()
			return nil
		}
	}
}

// adminToken makes sure the project's admin token file holds a valid
// admin token, creating one when it is missing or revoked, so that the
// people who can read the project can use the API from the first start.
// The token itself is never logged.
func adminToken(ctx context.Context, svc *deploy.Service, dir string, log *slog.Logger) error {
	if tok := app.ReadAdminToken(dir); tok != "" {
		if id, err := svc.Authenticate(ctx, tok); err == nil && id.Role == deploy.RoleAdmin {
			return nil
		}
	}
	tok, _, err := svc.CreateToken(ctx, "gantry serve", "admin", deploy.RoleAdmin)
	if err != nil {
		return fmt.Errorf("create the admin token: %w", err)
	}
	if err := app.WriteAdminToken(dir, tok); err != nil {
		return fmt.Errorf("write the admin token: %w", err)
	}
	log.Info("created an admin API token; the CLI here uses it", "file", filepath.Join(dir, app.AdminTokenFile))
	return nil
}

// readiness is what the store's health says: its writes fail, or the hold
// on it (its lock, its file) is lost.
type readiness []interface{ Err() error }

func (r readiness) Err() error {
	for _, c := range r {
		if err := c.Err(); err != nil {
			return err
		}
	}
	return nil
}
