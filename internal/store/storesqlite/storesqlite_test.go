package storesqlite_test

import (
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
	"github.com/gantryhq/gantry/internal/store/storetest"
)

func openAt(t *testing.T, path string) *storesqlite.Store {
	t.Helper()
	s, err := storesqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestStore(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		return openAt(t, filepath.Join(t.TempDir(), "gantry.db"))
	})
}

func TestSynchronousFull(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		return openAt(t, filepath.Join(t.TempDir(), "gantry.db")+"?synchronous=full")
	})
}

func TestReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "a", "b", "gantry.db") // parents are created
	storetest.Reopen(t, func(t *testing.T) store.Store { return openAt(t, path) })
}

// TestMigrationsOnce proves reopening applies no migration twice.
func TestMigrationsOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gantry.db")
	applied := func() [][2]int64 {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.QueryContext(t.Context(), `SELECT version, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out [][2]int64
		for rows.Next() {
			var v [2]int64
			if err := rows.Scan(&v[0], &v[1]); err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if err := openAt(t, path).Close(); err != nil {
		t.Fatal(err)
	}
	first := applied()
	if len(first) == 0 || first[0][0] != 1 {
		t.Fatalf("schema_migrations after first open: %v", first)
	}
	if err := openAt(t, path).Close(); err != nil {
		t.Fatal(err)
	}
	if again := applied(); len(again) != len(first) || again[0] != first[0] {
		t.Errorf("schema_migrations changed on reopen: %v, then %v", first, again)
	}
}

// A store that lacks a migration (made by an older gantry) gets it on
// open, though the others are there: the read-only check of a
// current schema does not take a partial schema for current.
func TestMigratesAnOlderStore(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "gantry.db")
	if err := openAt(t, path).Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const last = 13 // 0013_dashboard_indexes: undone below by dropping its two indexes
	for _, q := range []string{`DELETE FROM schema_migrations WHERE version = ` + strconv.Itoa(last),
		`DROP INDEX IF EXISTS runs_pipeline_env_id`, `DROP INDEX IF EXISTS runs_created_cover`} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	if err := openAt(t, path).Close(); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM schema_migrations WHERE version = ?`, last).Scan(&n); err != nil || n != 1 {
		t.Errorf("migration %d not applied again on open: %d rows, %v", last, n, err)
	}
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'runs_created_cover'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the index of migration 0013 is missing after open: %d, %v", n, err)
	}
}

func TestOpenOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, path := range []string{
		"",
		":memory:",
		filepath.Join(dir, "x.db") + "?synchronous=off",
		filepath.Join(dir, "x.db") + "?cache=shared",
	} {
		if s, err := storesqlite.Open(t.Context(), path); err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
		}
	}
	for _, path := range []string{"ok.db?synchronous=normal", "ok.db?synchronous=FULL", "ok.db"} {
		s, err := storesqlite.Open(t.Context(), filepath.Join(dir, path))
		if err != nil {
			t.Errorf("Open(%q): %v", path, err)
			continue
		}
		if err := s.Close(); err != nil {
			t.Error(err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	}
}
