package storesqlite

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// ErrLocked is what Lock and LockShared return when a server (or a local
// deploy command) holds the file.
var ErrLocked = errors.New("another gantry server is using this store")

// ErrLockedByRun is what Lock returns when only foreground `gantry run`s
// hold the file, shared.
var ErrLockedByRun = errors.New("a foreground gantry run is using this store")

// lockWait is how long Lock waits for a lock that is held: a server killed
// while starting a task leaves its lock with the child for the instant
// before the child's exec closes it.
const lockWait = 3 * time.Second

// FileLock is a lock on a SQLite store's database file, held until
// Release: exclusive, it keeps a second server off the same store; shared,
// it keeps servers off while foreground runs use it.
//
// The lock is flock(2) on the database file itself rather than on a file
// beside the path as given: a symlink, a path through "..", a bind mount or
// a hard link all name the same inode, so all of them meet the same lock.
// flock and the fcntl locks SQLite takes are independent on Linux, so the
// lock does not get in SQLite's way. One rule follows from POSIX fcntl
// semantics, though: closing any descriptor of the file drops every fcntl
// lock the process holds on it, so Release must come after the store's
// Close (Lock's own descriptor stays open until then).
type FileLock struct {
	path string   // resolved: absolute, symlinks followed
	f    *os.File // the database file, flocked
}

// Lock takes the exclusive lock on the database file named by path (a
// store path as Open takes it, ?options and all), creating the file and its
// folder when missing: an empty file is an empty SQLite database.
func Lock(path string) (*FileLock, error) { return lock(path, syscall.LOCK_EX) }

// LockShared takes the lock shared, as a foreground `gantry run` does:
// any number of them hold it at once, and while one does no server takes
// the store (Lock fails with ErrLockedByRun), since a server would take
// the run's attempts for a crashed server's and kill their tasks.
func LockShared(path string) (*FileLock, error) { return lock(path, syscall.LOCK_SH) }

func lock(path string, how int) (*FileLock, error) {
	file, _, err := parsePath(path)
	if err != nil {
		return nil, fmt.Errorf("lock sqlite store: %w", err)
	}
	if err := os.MkdirAll(parent(file), 0o750); err != nil {
		return nil, fmt.Errorf("lock sqlite store: %w", err)
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock sqlite store: %w", err)
	}
	resolved := Resolve(file)
	for deadline := time.Now().Add(lockWait); ; {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			defer f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				// Only shared holders leave a shared lock to take: then
				// they are foreground runs. (Closing f drops the probe.)
				if how == syscall.LOCK_EX && syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB) == nil {
					return nil, fmt.Errorf("%w, %s (the file is locked by another process)", ErrLockedByRun, resolved)
				}
				return nil, fmt.Errorf("%w, %s (the file is locked by another process)", ErrLocked, resolved)
			}
			return nil, fmt.Errorf("lock sqlite store %s: %w", resolved, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &FileLock{path: resolved, f: f}, nil
}

// Resolve returns the file a store path names, as the kernel reads it:
// symlinks followed (as far as they exist) before any ".." after them,
// then made absolute. It is for messages and for telling paths apart; the
// lock itself goes by inode.
func Resolve(file string) string {
	r, err := filepath.EvalSymlinks(file)
	if err != nil {
		// A file not made yet: resolve its folder.
		d, derr := filepath.EvalSymlinks(parent(file))
		if derr != nil {
			return file
		}
		r = filepath.Join(d, file[strings.LastIndexByte(file, '/')+1:])
	}
	if abs, err := filepath.Abs(r); err == nil {
		return abs
	}
	return r
}

// parent is the folder part of file, as written: unlike filepath.Dir it
// does not clean the path, whose ".." may follow a symlink.
func parent(file string) string {
	i := strings.LastIndexByte(file, '/')
	switch {
	case i < 0:
		return "."
	case i == 0:
		return "/"
	}
	return file[:i]
}

// Path is the locked file, resolved.
func (l *FileLock) Path() string { return l.path }

// Check reports whether the locked file is still the one at its path: an
// error when it was removed, or replaced by another file (whose writes,
// unlike those to the file this process has open, would survive it).
func (l *FileLock) Check() error {
	held, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("store file %s: %w", l.path, err)
	}
	now, err := os.Stat(l.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("store file %s was removed", l.path)
	case err != nil:
		return fmt.Errorf("store file %s: %w", l.path, err)
	case !os.SameFile(held, now):
		return fmt.Errorf("store file %s was replaced by another file", l.path)
	}
	return nil
}

// Release drops the lock. Call it after the store's Close. Calling it
// again does nothing.
func (l *FileLock) Release() {
	if l.f != nil {
		l.f.Close()
		l.f = nil
	}
}
