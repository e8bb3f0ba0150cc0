package storepg_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/storepg"
	"github.com/gantryhq/gantry/internal/store/storepg/pgtest"
	"github.com/gantryhq/gantry/internal/store/storetest"
)

func openAt(t testing.TB, u string) *storepg.Store {
	t.Helper()
	s, err := storepg.Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestStore(t *testing.T) {
	t.Parallel()
	testURL(t)
	storetest.Run(t, func(t *testing.T) store.Store { return openAt(t, schemaURL(t)) })
}

func TestReopen(t *testing.T) {
	t.Parallel()
	u := schemaURL(t)
	storetest.Reopen(t, func(t *testing.T) store.Store { return openAt(t, u) })
}

// TestConcurrentMigrations opens one empty schema from many pools at once,
// as processes starting together do: each migration is applied once.
func TestConcurrentMigrations(t *testing.T) {
	t.Parallel()
	u := schemaURL(t)
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			s, err := storepg.Open(t.Context(), u)
			if err == nil {
				err = s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
		}
	}
	c, err := pgx.Connect(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var n, distinct int
	if err := c.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n == 0 || n != distinct {
		t.Errorf("schema_migrations has %d rows for %d versions", n, distinct)
	}
	before := n
	openAt(t, u).Close()
	if err := c.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != before {
		t.Errorf("reopening applied migrations again: %d rows, then %d", before, n)
	}
}

func TestOpenBadURL(t *testing.T) {
	t.Parallel()
	_, err := storepg.Open(t.Context(), "postgres://u:secretpw@127.0.0.1:1/db?connect_timeout=1&pool_max_conns=zero")
	if err == nil {
		t.Fatal("Open with a bad URL succeeded")
	}
	if s := fmt.Sprint(err); strings.Contains(s, "secretpw") {
		t.Errorf("error shows the password: %v", err)
	}
}

func testURL(t testing.TB) string   { return pgtest.URL(t) }
func schemaURL(t testing.TB) string { return pgtest.SchemaURL(t, "gantry_test_") }
