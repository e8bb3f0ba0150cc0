package api_test

import (
	"path/filepath"
	"testing"

	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storepg"
	"github.com/gantryhq/gantry/internal/store/storepg/pgtest"
	"github.com/gantryhq/gantry/internal/store/storesqlite"
)

// eachStore runs test against SQLite in a temporary folder and, when
// GANTRY_TEST_POSTGRES names a database, against PostgreSQL in a schema
// of its own. In CI PostgreSQL must be there.
func eachStore(t *testing.T, test func(t *testing.T, st store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		st, err := storesqlite.Open(t.Context(), filepath.Join(t.TempDir(), "gantry.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		test(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		st, err := storepg.Open(t.Context(), pgtest.SchemaURL(t, "gantry_api_"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		test(t, st)
	})
}
