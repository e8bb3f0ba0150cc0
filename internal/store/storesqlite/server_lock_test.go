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
