package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/engine/pool"
	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/logs"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// Observer hears about finished runs and attempts and scheduling lag; the
// metrics implement it.
type Observer interface {
	RunFinished(r record.Run)
	AttemptFinished(pipeline, env string, a record.TaskAttempt)
	SchedulerLag(pipeline, env string, d time.Duration)
}

// Config wires a Server. ProjectDir, Store and Executors are required.
type Config struct {
	ProjectDir string
	Store      store.Store
	// StoreHealth, when set, says whether the store's writes succeed:
	// the server is not ready while they fail.
	StoreHealth interface{ Err() error }
	// LogLimit caps each attempt's log (gantry.yaml logs.max_size, read
	// at start); 0: the executor's default.
	LogLimit  int64
	Executors executor.Set
	Secrets   engine.SecretFunc
	LogDir    string
	Logger    *slog.Logger
	Observer  Observer // nil: none
	// CatchupGrace is how late a tick may be noticed and still count as
	// on time for `catchup: none`; 0 means one minute.
	CatchupGrace time.Duration
	// DispatchEvery is the dispatcher's safety-net period; it is woken at
	// once by every change anyway. 0 means 5s.
	DispatchEvery time.Duration

	// Env, when set, makes the server run the revisions deployed to that
	// environment instead of the project's working tree; Deployments is
	// then required. Runs pinned to a revision (staging runs, runs started
	// before a new revision became active) run on their revision whatever
	// Env is.
	Env         string
	Deployments Deployments
	// RevisionDir holds the files of each revision the server has run,
	// one folder per content hash. WorkspaceDir is where staging runs get
	// their throwaway folders; "" means the system's temporary folder.
	RevisionDir  string
	WorkspaceDir string
	// EnvSecrets makes the secret source of an environment that has its
	// own; nil leaves every run with Secrets.
	EnvSecrets func(spec.Secrets) engine.SecretFunc
	// OnRollback hears about every automatic rollback.
	OnRollback func(run record.Run, what string)
	// ShipLogs, when set, receives each attempt's log once the attempt
	// has ended (logs.Ship), so that the other servers sharing the store
	// serve it; on SQLite, where one server runs, nil keeps the files only.
	ShipLogs logs.ChunkWriter
	// Elected makes Start leave the scheduler and the dispatcher to the
	// leader lease: they run only while a Leadership that has the server's
	// Scheduler and Dispatcher among its services leads. Without it Start
	// starts them.
	Elected bool
}

// Server runs a project's pipelines on their own.
type Server struct {
	cfg   Config
	eng   *engine.Engine
	log   *slog.Logger
	pools *pool.Limiter // one for every run this server executes, whatever its pipeline

	mu      sync.Mutex
	pipes   map[string]*pipeline // by name
	errs    map[string]string    // file → why it does not load
	paused  map[string]bool
	active  map[int64]*activeRun
	cursors map[string]time.Time // pipeline → end of its last scheduled interval
	revs    map[string]*pipeline // pipeline@revision@env → as that revision has it
	project *spec.Project        // gantry.yaml as last loaded; nil when none
	// projectRev is the revision project came from with Config.Env; ""
	// for the working tree's.
	projectRev string
	started    time.Time // when New was called: working-tree alerts look no further back
	alerter    Alerter

	dispatching  sync.Mutex // one dispatch pass at a time
	wakeDispatch chan struct{}
	wakeSchedule chan struct{}
	scheduling   atomic.Bool
	running      atomic.Int64 // task attempts in flight

	sched    schedulerService
	disp     dispatcherService
	wg       sync.WaitGroup
	stopOnce sync.Once
}

// activeRun is a run this server is executing.
type activeRun struct {
	run      record.Run
	cancel   chan struct{}
	once     sync.Once
	done     chan struct{}
	lagShown bool
}

func (a *activeRun) cancelRun() { a.once.Do(func() { close(a.cancel) }) }

// New returns a Server; Start loads the project and begins.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.CatchupGrace <= 0 {
		cfg.CatchupGrace = time.Minute
	}
	if cfg.DispatchEvery <= 0 {
		cfg.DispatchEvery = 5 * time.Second
	}
	s := &Server{
		cfg:          cfg,
		log:          cfg.Logger,
		pipes:        map[string]*pipeline{},
		errs:         map[string]string{},
		paused:       map[string]bool{},
		active:       map[int64]*activeRun{},
		cursors:      map[string]time.Time{},
		revs:         map[string]*pipeline{},
		started:      time.Now(),
		wakeDispatch: make(chan struct{}, 1),
		wakeSchedule: make(chan struct{}, 1),
		pools:        pool.New(nil), // sized by load, from gantry.yaml
	}
	s.eng = engine.New(engine.Config{
		Pools:     s.pools,
		Store:     cfg.Store,
		Executors: cfg.Executors,
		Logger:    cfg.Logger,
		LogDir:    cfg.LogDir,
		Secrets:   cfg.Secrets,
		LogLimit:  cfg.LogLimit,
		Observe:   s.observe,
		OnAttempt: s.onAttempt,
	})
	return s
}

// SetDeployments sets the deploy lifecycle; call it before Start.
func (s *Server) SetDeployments(d Deployments) { s.cfg.Deployments = d }

// SetLogShipper sets Config.ShipLogs; call it before Start.
func (s *Server) SetLogShipper(w logs.ChunkWriter) { s.cfg.ShipLogs = w }

// SetObserver sets the observer; call it before Start.
func (s *Server) SetObserver(o Observer) { s.cfg.Observer = o }

// Start loads the project, resumes what the last server left running, and
// starts the scheduler and dispatcher. It returns once they run.
func (s *Server) Start(ctx context.Context) error {
	res := s.load()
	for _, e := range res.Errors {
		s.log.Error("pipeline file does not load", "error", e)
	}
	if len(res.Loaded) == 0 && len(res.Errors) > 0 {
		return fmt.Errorf("no pipeline loads (%d error(s)); see above", len(res.Errors))
	}
	states, err := s.cfg.Store.ListPipelineStates(ctx)
	if err != nil {
		return fmt.Errorf("read pipeline states: %w", err)
	}
	s.mu.Lock()
	for _, ps := range states {
		s.paused[ps.Pipeline] = ps.Paused
	}
	s.mu.Unlock()
	s.sched.s, s.disp.s = s, s
	if !s.cfg.Elected {
		if err := s.sched.Start(ctx); err != nil {
			return err
		}
		if err := s.disp.Start(ctx); err != nil {
			return err
		}
	}
	s.log.Info("server started", "pipelines", len(res.Loaded))
	return nil
}

// Stop stops scheduling and suspends every run in flight: their attempts
// are killed and they resume when a server starts again. Idempotent.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.sched.Stop()
		s.disp.Stop()
		s.wg.Wait()
		s.running.Store(0)
		s.log.Info("server stopped")
	})
}

// Ready reports why the server cannot serve, or nil.
func (s *Server) Ready(ctx context.Context) error {
	if s.sched.running() && !s.scheduling.Load() {
		return errors.New("scheduler not running")
	}
	if _, err := s.cfg.Store.ListRuns(ctx, store.RunFilter{Limit: 1}); err != nil {
		return fmt.Errorf("store unreachable: %w", err)
	}
	if h := s.cfg.StoreHealth; h != nil {
		if err := h.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// observe counts attempts in flight and turns a scheduled run's start into
// a scheduling-lag figure.
func (s *Server) observe(ev engine.Event) {
	if ev.Task != "" && ev.State == string(record.TaskRunning) && !ev.Warning {
		s.running.Add(1)
	}
	if ev.Task != "" || ev.State != string(record.RunRunning) || ev.Warning || s.cfg.Observer == nil {
		return
	}
	s.mu.Lock()
	a := s.active[ev.RunID]
	show := a != nil && !a.lagShown && a.run.Trigger == record.TriggerSchedule
	if show {
		a.lagShown = true
	}
	s.mu.Unlock()
	if show {
		s.cfg.Observer.SchedulerLag(a.run.Pipeline, a.run.Env, ev.Time.Sub(a.run.IntervalEnd))
	}
}

func (s *Server) onAttempt(run record.Run, a record.TaskAttempt) {
	if a.State != record.TaskLost { // lost attempts were counted by the server before
		s.running.Add(-1)
	}
	if a.State != record.TaskSucceeded {
		s.wakeAlerts()
	}
	if s.cfg.Observer != nil {
		s.cfg.Observer.AttemptFinished(run.Pipeline, run.Env, a)
	}
	if s.cfg.ShipLogs != nil && a.LogPath != "" && a.State != record.TaskLost {
		s.wg.Go(func() {
			stop := logs.Ship(context.Background(), s.cfg.ShipLogs, a.ID, a.LogPath)
			if err := stop(); err != nil {
				s.log.Warn("ship the attempt's log to the store", "run_id", run.ID, "task", a.Task, "err", err)
			}
		})
	}
}

// Running is how many task attempts this server runs now.
func (s *Server) Running() int { return int(s.running.Load()) }
