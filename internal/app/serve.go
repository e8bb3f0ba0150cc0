package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/gantryhq/gantry/internal/alert/manager"
	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/deploy"

	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/monitor"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/server"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/ui"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Config is what `gantry serve` is asked to do. ProjectDir, Addr and
// Logger are required.
type Config struct {
	ProjectDir string // the project folder; made absolute
	Store      string // --store; "" picks as StoreURL does
	Addr       string // where the HTTP API listens
	Env        string // run the revisions deployed here instead of the working tree
	PublicURL  string // the server's address as people reach it; "" means http://ADDR
	// Grace is how long a stop waits for runs to suspend before the
	// process exits anyway.
	Grace   time.Duration
	Logger  *slog.Logger
	Version string // for gantry_build_info
	// Commands reads a gantry command line named in a runbook, for the
	// gate's runbook rule (see check.Options.Commands).
	Commands func(args []string) (check.CommandLine, error)
	// LeaseTTL is how long the leader lease lasts unless renewed; 0 is
	// $GANTRY_LEASE_TTL, else server.DefaultLeaseTTL.
	LeaseTTL time.Duration
}

// LeaseTTLEnv names a duration that overrides the leader lease's TTL
// (server.DefaultLeaseTTL) when --lease-ttl is not given; for tests.
const LeaseTTLEnv = "GANTRY_LEASE_TTL"

// ErrUsage marks an error in what Serve was asked (a flag's value), as
// opposed to a failure while serving.
var ErrUsage = errors.New("usage")

// usageError is a message that is ErrUsage.
type usageError struct{ msg string }

func (e usageError) Error() string        { return e.msg }
func (e usageError) Is(target error) bool { return target == ErrUsage }

// Serve runs the project's server until ctx ends: the store held (see
// OpenServe), the deploy lifecycle, metrics, the API and the UI on every
// server, and the scheduler, dispatcher, alert loop and maintenance on
// the one that holds the leader lease (server.Leadership; on SQLite the
// only server always does). A store another process holds is
// ErrStoreInUse; a bad Config is ErrUsage. It returns nil after a
// graceful stop.
func Serve(ctx context.Context, cfg Config) error {
	dir, err := filepath.Abs(cfg.ProjectDir)
	if err != nil {
		return err
	}
	project, err := loadProject(dir)
	if err != nil {
		return err
	}
	url := StoreURL(cfg.Store, dir, project)
	excl, err := OpenServe(ctx, dir, url)
	if err != nil {
		return err
	}
	defer excl.Close()
	excl.Watch(cfg.Logger)
	p, err := build(ctx, cfg, dir, url, project, excl)
	if err != nil {
		return err
	}
	defer p.close()
	return p.serve(ctx, cfg, dir, url, excl)
}

// loadProject reads dir's gantry.yaml, saying it is invalid when it is.
func loadProject(dir string) (*spec.Project, error) {
	project, err := LoadProjectFile(dir)
	if err != nil {
		var errs spec.Errors
		if errors.As(err, &errs) {
			return nil, fmt.Errorf("gantry.yaml is not valid:\n%s", errs.Error())
		}
		return nil, err
	}
	return project, nil
}

// parts is a built server: its services, and once started its listener.
type parts struct {
	st        store.Store
	srv       *server.Server
	lifecycle *deploy.Service
	alerts    *manager.Manager
	lead      *server.Leadership
	reassess  *server.Reassessor
	excl      *ExclusiveStore
	reg       *prometheus.Registry
	ln        net.Listener
	hs        *http.Server
	started   []interface{ Stop() } // stopped in reverse
	// exe and project, on a store workers share, are what this server's
	// own worker runs tasks with.
	exe     executor.Set
	project *spec.Project
	dir     string
	url     string // the store's
	claims  *monitor.Claims
}

// stopFunc is a function that stops something, as a service.
type stopFunc func()

func (f stopFunc) Stop() { f() }

func (p *parts) close() {
	if p.ln != nil {
		p.ln.Close()
	}
	for _, s := range slices.Backward(p.started) {
		s.Stop()
	}
}

// build makes the server's parts on the held store and starts them. On
// error what it started is stopped again.
func build(ctx context.Context, cfg Config, dir, url string, project *spec.Project, excl *ExclusiveStore) (_ *parts, err error) {
	log := cfg.Logger
	// Every write that moves runs is watched: /readyz and
	// gantry_store_writes_failing say when the store stops taking them.
	health := &store.Health{}
	p := &parts{st: store.WithHealth(excl, health), excl: excl, url: url}
	exe, err := Executors(log, p.st)
	if err != nil {
		return nil, err
	}
	// Stopped last: the server's attempts have ended by then.
	p.started = append(p.started, stopFunc(func() { _ = exe.Close() }))
	for _, note := range exe.LimitNotes() {
		log.Warn(note)
	}
	p.reg = prometheus.NewRegistry()
	p.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if cfg.Env != "" && project.Environment(cfg.Env) == nil {
		return nil, usageError{fmt.Sprintf("--env %s: gantry.yaml declares no such environment", cfg.Env)}
	}
	engineExe := exe
	if excl.pg != nil {
		// Workers sharing the store run the tasks, this server among them
		// (startCluster).
		if p.claims, err = monitor.RegisterClaims(p.reg, p.st.ClaimDepth); err != nil {
			return nil, err
		}
		ttl, err := leaseTTL(cfg)
		if err != nil {
			return nil, err
		}
		engineExe = routedSet(exe, p.st, dir, ttl, p.claims, log)
		p.exe, p.project, p.dir = exe, project, dir
	}
	p.srv = newServer(cfg, dir, project, p.st, readiness{health, excl}, engineExe)
	if excl.pg != nil {
		// Many servers share a PostgreSQL store: each serves the logs of
		// attempts the leader ran.
		p.srv.SetLogShipper(p.st)
	}
	p.lifecycle = deploy.New(deploy.Options{Store: p.st, Starter: p.srv.StagingStarter(), Check: Gate(p.st, cfg.Commands), Kick: Kicker(exe),
		TestFire: func(ctx context.Context, proj *spec.Project, route, actor string) (record.TestFire, error) {
			tf, _, err := p.alerts.TestFireWith(ctx, proj, route, actor) // set by start, before anything is served
			return tf, err
		}})
	p.srv.SetDeployments(server.Lifecycle{Svc: p.lifecycle})
	if err := adminToken(ctx, p.lifecycle, dir, log); err != nil {
		return nil, err
	}
	if err := registerMetrics(p.reg, p.srv, health, cfg.Version); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	if err := p.start(ctx, cfg, Secrets(dir, project)); err != nil {
		return nil, err
	}
	return p, nil
}

// start listens, makes the alert manager, and starts the server and the
// alert loop.
func (p *parts) start(ctx context.Context, cfg Config, secrets func(string) (string, error)) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	p.ln = ln
	base := cfg.PublicURL
	if base == "" {
		base = "http://" + ln.Addr().String()
	}
	if p.alerts, err = newAlerts(p.st, p.srv, secrets, base, cfg.Logger); err != nil {
		return err
	}
	p.srv.SetAlerter(p.alerts)
	if err := p.srv.Start(ctx); err != nil {
		return err
	}
	p.started = append(p.started, p.srv)
	if err := p.startCluster(ctx, cfg); err != nil {
		return err
	}
	p.hs = &http.Server{Handler: handler(p.srv, p.alerts, p.lifecycle, p.reassess, p.st, p.reg, cluster{p.lead, p.st}, cfg.Logger), ReadHeaderTimeout: 10 * time.Second}
	return nil
}

func newServer(cfg Config, dir string, project *spec.Project, st store.Store, health interface{ Err() error }, exe executor.Set) *server.Server {
	return server.New(server.Config{
		ProjectDir:  dir,
		Store:       st,
		StoreHealth: health,
		LogLimit:    project.LogLimit(),
		Executors:   exe,
		Secrets:     Secrets(dir, project),
		LogDir:      LogDir(dir),
		Logger:      cfg.Logger,
		Env:         cfg.Env,
		RevisionDir: filepath.Join(dir, StateDir, "revisions"),
		EnvSecrets:  EnvSecrets(dir),
		Elected:     true, // by the leader lease: startCluster
	})
}

func registerMetrics(reg *prometheus.Registry, srv *server.Server, health *store.Health, version string) error {
	metrics, err := monitor.New(reg, srv, version)
	if err != nil {
		return err
	}
	srv.SetObserver(metrics)
	if err := monitor.RegisterStoreHealth(reg, health); err != nil {
		return err
	}
	return monitor.RegisterPools(reg, srv)
}

func newAlerts(st store.Store, srv *server.Server, secrets func(string) (string, error), baseURL string, log *slog.Logger) (*manager.Manager, error) {
	return manager.New(manager.Config{
		Store: st, Project: srv.Project, Targets: srv.AlertTargets, Secrets: secrets, Logs: logSource(st),
		Notifiers: Notifiers(NotifierOptions{}),
		BaseURL:   baseURL, Logger: log.With("component", "alerts"),
	})
}

// handler is the HTTP API with /metrics, and the UI.
func handler(srv *server.Server, alerts *manager.Manager, lifecycle *deploy.Service, re *server.Reassessor, st store.Store, reg *prometheus.Registry, cl api.Cluster, log *slog.Logger) http.Handler {
	alertAPI := &server.AlertAPI{M: alerts, Audit: st.AppendAudit, AfterTestFire: re.Kick}
	deployAPI := server.DeployAPI{Service: lifecycle, S: srv}
	h := api.NewHandler(srv, api.Options{
		Logger: log, Metrics: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Alerts:     alertAPI,
		Deploy:     deployAPI,
		Auth:       api.TokenAuth{Tokens: lifecycle},
		Registerer: reg,
		Cluster:    cl,
		Logs:       logSource(st),
	})
	root := http.NewServeMux()
	ui.Register(root, ui.Options{Source: srv, Auth: api.TokenAuth{Tokens: lifecycle}, Logger: log,
		Service: srv, Summaries: st, Deploy: deployAPI, Alerts: alertAPI, API: h, Logs: logSource(st),
		Routes: func() []string { return alertRoutes(srv.Project()) }})

	return root
}

// alertRoutes names the project's alert routes, for the UI's test-fire.
func alertRoutes(p *spec.Project) []string {
	if p == nil {
		return nil
	}
	out := make([]string, 0, len(p.Alerts.Routes))
	for _, r := range p.Alerts.Routes {
		out = append(out, r.Name)
	}
	return out
}

// serve serves HTTP and reloads on SIGHUP until ctx ends, the listener
// fails or the hold on the store is lost.
func (p *parts) serve(ctx context.Context, cfg Config, dir, url string, excl *ExclusiveStore) error {
	log := cfg.Logger
	// Commands run in the project find the server here, and go through
	// it. The file is written before the first request is served, so a
	// client that saw /readyz answer also finds the file (the listener is
	// bound already: connections made meanwhile wait in its backlog).
	if err := server.WriteAddress(dir, serverAddress(ctx, dir, url, p.ln.Addr(), excl)); err != nil {
		log.Warn("commands in the project will not find this server by themselves: pass --server", "err", err)
	}
	defer server.RemoveAddress(dir, os.Getpid())
	serveErr := make(chan error, 1)
	go func() { serveErr <- p.hs.Serve(p.ln) }()
	log.Info("listening", "addr", p.ln.Addr().String(), "project", dir, "store", Redact(url))

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-hup:
			if _, err := p.srv.Reload(ctx); err != nil {
				log.Error("reload", "err", err)
			}
		case err := <-serveErr:
			return fmt.Errorf("http: %w", err)
		case err := <-excl.Lost():
			return err
		case <-ctx.Done():
			log.Info("stopping: runs in flight are suspended and resume on the next start")
			// Whatever holds the stop up (a store that does not answer, a
			// task that ignores its signals), the process ends in time:
			// what it leaves is recovered on the next start, as after
			// kill -9.
			time.AfterFunc(cfg.Grace, func() {
				log.Error("stopping took longer than --shutdown-grace; exiting now: what was in flight resumes on the next start", "grace", cfg.Grace)
				os.Exit(1)
			})
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = p.hs.Shutdown(sctx)
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
	if tok := ReadAdminToken(dir); tok != "" {
		if id, err := svc.Authenticate(ctx, tok); err == nil && id.Role == deploy.RoleAdmin {
			return nil
		}
	}
	tok, _, err := svc.CreateToken(ctx, "gantry serve", "admin", deploy.RoleAdmin)
	if err != nil {
		return fmt.Errorf("create the admin token: %w", err)
	}
	if err := WriteAdminToken(dir, tok); err != nil {
		return fmt.Errorf("write the admin token: %w", err)
	}
	log.Info("created an admin API token; the CLI here uses it", "file", filepath.Join(dir, AdminTokenFile))
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

// serverAddress is what the project's server.AddressFile says of this
// server.
func serverAddress(ctx context.Context, dir, url string, addr net.Addr, excl *ExclusiveStore) server.Address {
	host, _ := os.Hostname()
	a := server.Address{URL: server.ListenURL(addr), PID: os.Getpid(), Host: host,
		Store: StoreLocation(dir, url), Started: time.Now().UTC()}
	if si, ok := excl.Store.(storeIdentity); ok {
		a.StoreID, _ = si.StoreID(ctx)
	}
	return a
}
