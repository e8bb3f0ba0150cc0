package app

import (
	"context"

	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storepg"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// SharedStore is a project's store held shared, by a foreground `gantry
// run`: any number of them may use a store at once, but no server (nor
// local deploy command) while one does, because a server starting on the
// store takes every running attempt for one a crashed server left and
// kills its task. Likewise a run is refused while a server holds the
// store: the server is the one to run it (`gantry trigger`). The lock is
// the server lock taken shared: flock(LOCK_SH) on a SQLite file,
// pg_try_advisory_lock_shared on the same keys on PostgreSQL, held for as
// long as the run, and released by the kernel or the database when the
// process dies, so a killed run leaves no stale lock.
type SharedStore struct {
	store.Store
	file *storesqlite.FileLock
	pg   *storepg.ServerLock
}

// OpenShared takes the store at url for the project in dir shared and
// opens it, as OpenProjectStore does. It fails, wrapping ErrStoreInUse,
// when a server holds the store.
func OpenShared(ctx context.Context, dir, url string) (_ *SharedStore, err error) {
	if err := checkStoreExists(dir, url); err != nil {
		return nil, err
	}
	s := &SharedStore{}
	if s.file, s.pg, err = takeLock(ctx, url, lockShared); err != nil {
		return nil, err
	}
	if s.Store, err = OpenProjectStore(ctx, dir, url); err != nil {
		s.release()
		return nil, err
	}
	return s, nil
}

// Close closes the store, then lets it go (see storesqlite.FileLock).
func (s *SharedStore) Close() error {
	err := s.Store.Close()
	s.release()
	return err
}

func (s *SharedStore) release() {
	if s.file != nil {
		s.file.Release()
	}
	if s.pg != nil {
		s.pg.Release()
	}
}
