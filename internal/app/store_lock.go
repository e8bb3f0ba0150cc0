package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storepg"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// ErrStoreInUse is what OpenExclusive returns, wrapped with who holds the
// store, when another server (or a local deploy command) has it.
var ErrStoreInUse = errors.New("store in use")

// ErrStoreInUseByRun is, besides ErrStoreInUse, what OpenExclusive
// returns when foreground `gantry run`s hold the store (see SharedStore).
var ErrStoreInUseByRun = errors.New("store in use by a foreground run")

// WatchIntervalEnv names a duration that overrides how often a server
// checks its hold on its store (DefaultWatchInterval); for tests.
const WatchIntervalEnv = "GANTRY_STORE_WATCH_INTERVAL"

// DefaultWatchInterval is how often a server checks its hold on its store.
const DefaultWatchInterval = 5 * time.Second

// pingTimeout bounds one check of a PostgreSQL server lock's connection: a
// connection that does not answer in time counts as lost.
const pingTimeout = 10 * time.Second

// ExclusiveStore is a project's store held by one process: only one
// server (or local deploy command) at a time may write a store, since a
// second would resume the first one's runs and kill their tasks. A SQLite
// store is held by a lock on its database file (storesqlite.FileLock), a
// PostgreSQL one by a session-level advisory lock on a connection of its
// own (storepg.ServerLock) for as long as the process lives.
//
// On PostgreSQL `gantry serve` holds the store with OpenServe instead:
// any number of servers share it (the leader lease decides which one
// schedules and dispatches), but no local deploy command or foreground
// run while one does, nor a server while one of those does.
type ExclusiveStore struct {
	store.Store
	file *storesqlite.FileLock
	pg   *storepg.ServerLock

	lost      chan error
	stopWatch context.CancelFunc
	watching  sync.WaitGroup

	mu      sync.Mutex
	problem error

	closeOnce sync.Once
	closeErr  error
}

// OpenExclusive takes the store at url for the project in dir and opens
// it, as OpenProjectStore does. It fails, wrapping ErrStoreInUse, when
// another process holds the store, and creates nothing when the project's
// store is missing (see StoreIDFile).
func OpenExclusive(ctx context.Context, dir, url string) (_ *ExclusiveStore, err error) {
	if err := checkStoreExists(dir, url); err != nil {
		return nil, err
	}
	s := &ExclusiveStore{lost: make(chan error, 1)}
	defer func() {
		if err != nil {
			s.release()
		}
	}()
	if s.file, s.pg, err = takeLock(ctx, url, lockExclusive); err != nil {
		return nil, err
	}
	if s.Store, err = OpenProjectStore(ctx, dir, url); err != nil {
		return nil, err
	}
	return s, nil
}

// OpenServe takes the store at url for `gantry serve`: on SQLite
// exclusively, as OpenExclusive does; on PostgreSQL shared with other
// servers only (storepg.LockServe). It fails, wrapping ErrStoreInUse,
// when a process the server must not run beside holds the store.
func OpenServe(ctx context.Context, dir, url string) (_ *ExclusiveStore, err error) {
	if !isPostgres(url) {
		return OpenExclusive(ctx, dir, url)
	}
	if err := checkStoreExists(dir, url); err != nil {
		return nil, err
	}
	s := &ExclusiveStore{lost: make(chan error, 1)}
	defer func() {
		if err != nil {
			s.release()
		}
	}()
	if s.file, s.pg, err = takeLock(ctx, url, lockServe); err != nil {
		return nil, err
	}
	if s.Store, err = OpenProjectStore(ctx, dir, url); err != nil {
		return nil, err
	}
	return s, nil
}

// How a process holds its store.
type lockMode int

const (
	lockExclusive lockMode = iota // a server on SQLite, a local deploy command
	lockShared                    // a foreground run
	lockServe                     // a server on PostgreSQL, beside other servers
)

// takeLock takes the store's lock, exclusive or shared, mapping a lock
// held by another process to ErrStoreInUse.
func takeLock(ctx context.Context, url string, mode lockMode) (*storesqlite.FileLock, *storepg.ServerLock, error) {
	shared := mode == lockShared
	if isPostgres(url) {
		lock := storepg.Lock
		switch mode {
		case lockShared:
			lock = storepg.LockShared
		case lockServe:
			lock = storepg.LockServe
		}
		l, err := lock(ctx, url, holderName())
		switch {
		case errors.Is(err, storepg.ErrLockedByRun):
			return nil, nil, inUseError{fmt.Errorf("%w; wait for it to end", err), true}
		case errors.Is(err, storepg.ErrLocked):
			return nil, nil, inUseError{err, false}
		}
		return nil, l, err
	}
	lock := storesqlite.Lock
	if shared {
		lock = storesqlite.LockShared
	}
	l, err := lock(url)
	switch {
	case errors.Is(err, storesqlite.ErrLockedByRun):
		return nil, nil, inUseError{fmt.Errorf("%w; wait for it to end", err), true}
	case errors.Is(err, storesqlite.ErrLocked):
		return nil, nil, inUseError{err, false}
	}
	return l, nil, err
}

// inUseError is a driver's "locked" error, as it says it, that is also
// ErrStoreInUse.
type inUseError struct {
	err   error
	byRun bool
}

func (e inUseError) Error() string { return e.err.Error() }
func (e inUseError) Unwrap() []error {
	if e.byRun {
		return []error{ErrStoreInUse, ErrStoreInUseByRun, e.err}
	}
	return []error{ErrStoreInUse, e.err}
}

// holderName is how a PostgreSQL server lock names its holder to the
// process it refuses.
func holderName() string {
	host, _ := os.Hostname()
	cmd := "gantry"
	for _, a := range os.Args[1:] {
		if !strings.HasPrefix(a, "-") {
			cmd += " " + a // the command: serve, deploy, …
			break
		}
	}
	return fmt.Sprintf("%s pid %d on host %s", cmd, os.Getpid(), host)
}

// Watch checks the hold on the store every WatchInterval until Close.
// On PostgreSQL, the connection holding the lock lost means the lock is
// lost: Watch logs it and sends it on Lost, and the server is to stop,
// since another may take the store over. On SQLite, the database file
// removed or replaced under the server is logged as an error and reported
// by Err; the server goes on with the file it has open.
func (s *ExclusiveStore) Watch(log *slog.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	s.stopWatch = cancel
	interval := WatchInterval()
	s.watching.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if s.check(ctx, log) {
				return
			}
		}
	})
}

// check checks the hold once; it reports whether watching is over.
func (s *ExclusiveStore) check(ctx context.Context, log *slog.Logger) (over bool) {
	if s.pg != nil {
		pctx, cancel := context.WithTimeout(ctx, pingTimeout)
		err := s.pg.Ping(pctx)
		cancel()
		if err == nil || ctx.Err() != nil {
			return ctx.Err() != nil
		}
		// The session that held the lock is gone (a restart of
		// PostgreSQL ends every session). Take it again at once: while
		// the database cannot be reached nobody else can take it, and
		// runs wait for the store anyway; if another server took it
		// meanwhile, this one must stop.
		rctx, cancel := context.WithTimeout(ctx, pingTimeout)
		rerr := s.pg.Relock(rctx)
		cancel()
		switch {
		case rerr == nil:
			log.Warn("store's server lock re-taken after its connection was lost", "err", err)
			s.setProblem(nil)
			return false
		case errors.Is(rerr, storepg.ErrLocked), errors.Is(rerr, storepg.ErrLockedByRun):
			err = fmt.Errorf("lost the store's server lock and another process took the store over: stopping: %w", rerr)
			log.Error("store lock lost; stopping", "err", err)
			s.setProblem(err)
			s.lost <- err
			return true
		default:
			if s.Err() == nil {
				log.Error("store's server lock lost with the database; taking it again when the database answers", "err", rerr)
			}
			s.setProblem(fmt.Errorf("store's server lock lost: %w", rerr))
			return false
		}
	}
	err := s.file.Check()
	s.mu.Lock()
	was := s.problem
	s.problem = err
	s.mu.Unlock()
	switch {
	case err != nil && was == nil:
		log.Error(fmt.Sprintf("store file %s was removed or replaced under the running server; history written from now on is lost when it stops", s.file.Path()), "err", err)
	case err == nil && was != nil:
		log.Warn("store file is back in place", "file", s.file.Path())
	}
	return false
}

func (s *ExclusiveStore) setProblem(err error) {
	s.mu.Lock()
	s.problem = err
	s.mu.Unlock()
}

// Err returns what is wrong with the hold on the store, as the last check
// found it (nil when all is well), for the readiness check.
func (s *ExclusiveStore) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.problem
}

// HoldName marks this process alive under name, for Alive, as long as it
// holds the store. Nothing to do on SQLite, where one process holds it.
func (s *ExclusiveStore) HoldName(ctx context.Context, name string) error {
	if s.pg == nil {
		return nil
	}
	return s.pg.HoldName(ctx, name)
}

// Alive returns a check of whether the process that holds a name
// (HoldName) is still there, so that a leader killed outright is taken
// over at once instead of when its lease expires: on PostgreSQL its
// session's advisory lock; on SQLite none is, since this process holds
// the store's file lock exclusively (a server restarted after kill -9
// leads at once).
func (s *ExclusiveStore) Alive() func(ctx context.Context, name string) (bool, error) {
	if s.pg == nil {
		return func(context.Context, string) (bool, error) { return false, nil }
	}
	return s.pg.Alive
}

// Lost delivers the error when the hold on a PostgreSQL store is lost.
func (s *ExclusiveStore) Lost() <-chan error { return s.lost }

// Close stops watching, closes the store, then lets it go. Calling it
// again returns the same result.
func (s *ExclusiveStore) Close() error {
	s.closeOnce.Do(func() {
		if s.stopWatch != nil {
			s.stopWatch()
		}
		s.watching.Wait()
		if s.Store != nil {
			s.closeErr = s.Store.Close()
		}
		s.release()
	})
	return s.closeErr
}

// release lets the store go; after the store's Close (see
// storesqlite.FileLock).
func (s *ExclusiveStore) release() {
	if s.file != nil {
		s.file.Release()
	}
	if s.pg != nil {
		s.pg.Release()
	}
}

// WatchInterval is how often a server checks its hold on its store:
// DefaultWatchInterval unless $GANTRY_STORE_WATCH_INTERVAL says otherwise.
func WatchInterval() time.Duration {
	if d, err := time.ParseDuration(os.Getenv(WatchIntervalEnv)); err == nil && d > 0 {
		return d
	}
	return DefaultWatchInterval
}
