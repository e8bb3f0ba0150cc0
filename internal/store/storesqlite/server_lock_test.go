package storesqlite_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// Every name of one database file meets the same lock, and the lock
// names the file as the kernel reads the path.
func TestLockHoldsOnTheFileNotTheName(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "gantry.db")
	l, err := storesqlite.Lock(db)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if err := os.Symlink(db, filepath.Join(dir, "link.db")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(db, filepath.Join(dir, "hard.db")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "a", "b"), filepath.Join(dir, "sub")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for name, path := range map[string]string{
		"same":            db,
		"relative":        "gantry.db",
		"symlink":         filepath.Join(dir, "link.db"),
		"hard link":       filepath.Join(dir, "hard.db"),
		"symlink then ..": "sub/../../gantry.db",
		"with options":    db + "?synchronous=full",
	} {
		if l2, err := storesqlite.Lock(path); !errors.Is(err, storesqlite.ErrLocked) {
			if err == nil {
				l2.Release()
			}
			t.Errorf("%s: a second lock through %s: %v, want ErrLocked", name, path, err)
		}
	}
	if got := storesqlite.Resolve("sub/../../gantry.db"); got != db {
		t.Errorf("Resolve through a symlink and ..: %s, want %s", got, db)
	}
	if got, want := storesqlite.Resolve("sub/new.db"), filepath.Join(dir, "a", "b", "new.db"); got != want {
		t.Errorf("Resolve of a file not made yet: %s, want %s", got, want)
	}
	if err := l.Check(); err != nil {
		t.Errorf("Check with the file in place: %v", err)
	}
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	if err := l.Check(); err == nil {
		t.Error("Check after the file was removed: no error")
	}
}

// Foreground runs share the lock among themselves; a server is refused
// while one holds it, and a run while a server does, each saying who.
func TestLockShared(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "gantry.db")
	r1, err := storesqlite.LockShared(db)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := storesqlite.LockShared(db)
	if err != nil {
		t.Fatalf("a second foreground run: %v", err)
	}
	if l, err := storesqlite.Lock(db); !errors.Is(err, storesqlite.ErrLockedByRun) {
		if err == nil {
			l.Release()
		}
		t.Fatalf("a server beside two runs: %v, want ErrLockedByRun", err)
	}
	r1.Release()
	r2.Release()
	srv, err := storesqlite.Lock(db)
	if err != nil {
		t.Fatalf("a server once the runs ended: %v", err)
	}
	defer srv.Release()
	if l, err := storesqlite.LockShared(db); !errors.Is(err, storesqlite.ErrLocked) || errors.Is(err, storesqlite.ErrLockedByRun) {
		if err == nil {
			l.Release()
		}
		t.Fatalf("a run beside a server: %v, want ErrLocked", err)
	}
}
