package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/executor"
	"github.com/gantryhq/gantry/internal/executor/process"
	"github.com/gantryhq/gantry/internal/executor/remote"
	"github.com/gantryhq/gantry/internal/monitor"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
)

// WorkerSlotsEnv sets how many attempts `gantry serve` runs itself as a
// worker on PostgreSQL (default DefaultServeSlots; 0: none, only
// `gantry worker` processes run tasks).
const WorkerSlotsEnv = "GANTRY_WORKER_SLOTS"

// DefaultServeSlots is how many attempts a `gantry serve` runs at once as
// a worker: enough that pipelines' own parallelism, not the server,
// bounds them.
const DefaultServeSlots = 32

// routed runs an attempt through the store's claims, for any worker,
// when a worker can find its files (its working directory is in the
// project's folder, a deployed revision's included, and its log under the
// log folder), and here otherwise (a staging run's throwaway workspace,
// whose files the run's tasks share).
type routed struct {
	remote *remote.Executor
	local  executor.Executor
}

func (r routed) Run(ctx context.Context, a executor.Attempt) executor.Result {
	if inside(r.remote.Root, a.Dir) && inside(r.remote.LogDir, a.LogPath) && !throwaway(a.Env) {
		return r.remote.Run(ctx, a)
	}
	return r.local.Run(ctx, a)
}

// Reap ends a recovered attempt wherever it ran: on a worker if it was
// claimed, else here.
func (r routed) Reap(ctx context.Context, h executor.Handle) (bool, error) {
	if found, err := r.remote.Reap(ctx, h); found || err != nil {
		return found, err
	}
	return r.local.Reap(ctx, h)
}

// Adopt takes over an attempt queued for workers.
func (r routed) Adopt(ctx context.Context, h executor.Handle) (func(context.Context) executor.Result, error) {
	return r.remote.Adopt(ctx, h)
}

// Limits is the local executor's: the workers run the same kind.
func (r routed) Limits() executor.LimitSupport {
	if l, ok := r.local.(interface{ Limits() executor.LimitSupport }); ok {
		return l.Limits()
	}
	return executor.LimitSupport{}
}

func (r routed) Close() error {
	if c, ok := r.local.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}

// throwaway reports whether an attempt works in its run's throwaway
// environment (GANTRY_ENV_DIR), a folder on this machine that the run's
// tasks share.
func throwaway(env []string) bool {
	return slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "GANTRY_ENV_DIR=") })
}

func inside(root, path string) bool {
	if path == "" {
		return true
	}
	rel, err := filepath.Rel(root, path)
	return err == nil && (rel == "." || filepath.IsLocal(rel))
}

// routedSet is exe with its process attempts routed through st's claims
// (the engine's side), for a server on a store that workers share.
func routedSet(exe executor.Set, st store.Store, dir string, ttl time.Duration, m *monitor.Claims, log *slog.Logger) executor.Set {
	out := make(executor.Set, len(exe))
	for k, x := range exe {
		out[k] = x
	}
	rx := &remote.Executor{Store: st, Root: dir, LogDir: LogDir(dir), TTL: claimTTL(ttl), Lost: m.Lost, Logger: log.With("component", "claims")}
	out[process.Kind] = routed{remote: rx, local: exe[process.Kind]}
	return out
}

// localWorker is a worker of this machine's project folder, with a
// process executor of its own whose attempts a process.Guard watches: a
// worker killed with -9, or stopped, leaves no task running beside the
// retry another worker makes.
type localWorker struct {
	*remote.Worker
	exe   executor.Set
	guard *process.Guard
}

// newWorker is a worker of this machine's project folder dir on st, the
// store at url.
func newWorker(st store.Store, url, id, dir string, project *spec.Project, slots int, labels map[string]string, ttl time.Duration, log *slog.Logger) (*localWorker, error) {
	bin, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("task guard: %w", err)
	}
	config, err := json.Marshal(guardConfig{Store: url, Worker: id, TTL: claimTTL(ttl)})
	if err != nil {
		return nil, err
	}
	g, err := process.StartGuard(bin, string(config))
	switch {
	case errors.Is(err, process.ErrGuardUnsupported):
		log.Warn(err.Error() + ": a killed worker's tasks outlive it until their leases end")
		g = nil
	case err != nil:
		return nil, err
	}
	proc, err := process.New(process.Options{Logger: log, Guard: g})
	if err != nil {
		if g != nil {
			_ = g.Close()
		}
		return nil, err
	}
	lw := &localWorker{exe: executor.Set{process.Kind: proc}, guard: g}
	var guard remote.Guard
	if g != nil {
		guard = claimGuard{g}
	}
	lw.Worker = &remote.Worker{
		Store: st, ID: id, Labels: labels, Slots: slots, TTL: claimTTL(ttl),
		Executors: lw.exe, Guard: guard,
		Root: dir, LogDir: LogDir(dir),
		Secrets: workerSecrets(dir, project), Prepare: prepareRevision(st, dir),
		Logger: log.With("component", "worker"),
	}
	return lw, nil
}

// claimGuard is a process.Guard as a worker's remote.Guard: the tag is
// the claim's token, which handBack reads.
type claimGuard struct{ g *process.Guard }

func (c claimGuard) Hold(id int64, by time.Time, token int64) {
	c.g.Until(id, by, strconv.FormatInt(token, 10))
}
func (c claimGuard) Release(id int64) { c.g.Release(id) }

// Died is closed when the guard has exited; nil (never) without one.
func (lw *localWorker) Died() <-chan struct{} {
	if lw.guard == nil {
		return nil
	}
	return lw.guard.Done()
}

// Stop drains the worker (see remote.Worker.Stop), then ends its
// executor and its guard.
func (lw *localWorker) Stop(grace time.Duration) {
	lw.Worker.Stop(grace)
	_ = lw.exe.Close()
	if lw.guard != nil {
		_ = lw.guard.Close()
	}
}

// RunTaskGuardIfAsked makes this process a worker's task guard when a
// worker started it as one (see process.Guard), and then exits; it
// returns at once otherwise. main calls it first.
func RunTaskGuardIfAsked() { process.RunGuardIfAsked(handBack) }

// guardConfig is what a worker hands its task guard: the store, and the
// worker's ID there.
type guardConfig struct {
	Store  string        `json:"store"`
	Worker string        `json:"worker"`
	TTL    time.Duration `json:"ttl"` // how long a report may try
}

// handBack is a task guard's Reporter, in the guard's process: the
// attempts it killed at their deadline, all their processes gone, have
// their claims handed back (the tag is the claim's token), and once the
// worker itself is gone every claim it still held, so that they are
// retried now rather than once their leases end. A claim its worker
// recorded or lost meanwhile is fenced and left alone. It tries for a
// claim TTL at most; the leases' expiry covers what it could not do.
func handBack(config string, rep process.Report) {
	killed, ended := rep.Killed, rep.Ended
	log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("component", "task guard")
	var cfg guardConfig
	if err := json.Unmarshal([]byte(config), &cfg); err != nil || cfg.Store == "" || cfg.TTL <= 0 {
		log.Warn("no store to hand killed attempts back to (they are retried once their leases end)", "attempts", len(killed))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.TTL)
	defer cancel()
	var st store.Store
	for try := 0; st == nil; try++ {
		var err error
		if st, err = OpenStore(ctx, cfg.Store); err != nil {
			if ctx.Err() != nil {
				log.Warn("open the store to hand killed attempts back (they are retried once their leases end)", "err", err)
				return
			}
			time.Sleep(min(time.Duration(try+1)*100*time.Millisecond, time.Second))
		}
	}
	defer st.Close()
	retry := func(what string, f func() error) {
		for try := 0; ; try++ {
			err := f()
			if err == nil || errors.Is(err, store.ErrFenced) {
				return
			}
			if ctx.Err() != nil {
				log.Warn(what+" (retried once the lease ends)", "err", err)
				return
			}
			time.Sleep(min(time.Duration(try+1)*100*time.Millisecond, time.Second))
		}
	}
	if ended {
		// Everything the worker held: what it ran is gone, and it never
		// starts an attempt it has not told the guard of.
		retry("hand back a dead worker's claims", func() error {
			ids, err := st.HandBackWorkerClaims(ctx, cfg.Worker, rep.Survivors)
			for _, id := range ids {
				log.Info("the worker ended: killed what it ran and handed its claim back, to be retried now", "attempt_id", id)
			}
			return err
		})
		return
	}
	for _, k := range killed {
		token, err := strconv.ParseInt(k.Tag, 10, 64)
		if err != nil {
			continue
		}
		retry("hand back an attempt killed at its deadline", func() error {
			err := st.HandBackClaim(ctx, k.ID, token)
			if err == nil {
				log.Info("killed an attempt whose lease was ending and handed its claim back, to be retried now", "attempt_id", k.ID)
			}
			return err
		})
	}
}

// guardLost is what a worker says when its guard dies under it.
const guardLost = "the task guard exited: this worker stops claiming and ends its attempts, as they could outlive it"

// workerSecrets resolves a worker's secret references as the engine
// does: through the task's environment's own source when it has one,
// else the project's.
func workerSecrets(dir string, project *spec.Project) remote.SecretFunc {
	own := Secrets(dir, project)
	return func(env, name string) (string, error) {
		if e := project.Environment(env); env != "" && e != nil && e.Secrets != nil {
			return EnvSecrets(dir)(*e.Secrets)(name)
		}
		return own(name)
	}
}

// prepareRevision writes a deployed revision's files from the store when
// an attempt runs in a revision folder this machine does not have yet.
func prepareRevision(st store.Store, dir string) func(ctx context.Context, wd string) error {
	revs := filepath.Join(dir, StateDir, "revisions")
	return func(ctx context.Context, wd string) error {
		rel, err := filepath.Rel(revs, wd)
		if err != nil || !filepath.IsLocal(rel) {
			return nil // the working tree's files: this machine's own
		}
		hash, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
		target := filepath.Join(revs, hash)
		if _, err := os.Stat(target); err == nil {
			return nil
		}
		if err := os.MkdirAll(revs, 0o755); err != nil {
			return err
		}
		tmp, err := os.MkdirTemp(revs, hash+".tmp-")
		if err != nil {
			return err
		}
		svc := deploy.New(deploy.Options{Store: st})
		if err := svc.Materialize(ctx, hash, tmp); err != nil {
			deploy.RemoveAll(tmp)
			return fmt.Errorf("write revision %s: %w", deploy.Short(hash), err)
		}
		if err := deploy.Seal(tmp); err != nil {
			deploy.RemoveAll(tmp)
			return err
		}
		if err := os.Rename(tmp, target); err != nil {
			deploy.RemoveAll(tmp)
			if _, serr := os.Stat(target); serr == nil {
				return nil // written meanwhile for another attempt
			}
			return err
		}
		return nil
	}
}

// serveSlots is $GANTRY_WORKER_SLOTS, else DefaultServeSlots.
func serveSlots() (int, error) {
	v := os.Getenv(WorkerSlotsEnv)
	if v == "" {
		return DefaultServeSlots, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, usageError{fmt.Sprintf("$%s %q: want a number of attempts, 0 or more", WorkerSlotsEnv, v)}
	}
	return n, nil
}

// claimTTL is the claims' lease: the leader lease's TTL, so that a gone
// process's attempts and its leadership end together.
func claimTTL(ttl time.Duration) time.Duration {
	if ttl > 0 {
		return ttl
	}
	return remote.DefaultTTL
}

var errNoWorkerStore = errors.New("gantry worker needs a PostgreSQL store shared with gantry serve (--store postgres://…)")
