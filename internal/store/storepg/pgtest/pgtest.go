package pgtest

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// URL is the database the tests use, from GANTRY_TEST_POSTGRES.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("GANTRY_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("GANTRY_TEST_POSTGRES is not set; CI must provide PostgreSQL (.ci/start-postgres)")
		}
		t.Skip("GANTRY_TEST_POSTGRES is not set")
	}
	return u
}

// SchemaURL creates a schema of t's own, named with prefix, dropped when t
// ends, and returns a URL whose connections use it.
func SchemaURL(t testing.TB, prefix string) string {
	t.Helper()
	base := URL(t)
	schema := prefix + strings.ToLower(rand.Text()[:12])
	exec := func(ctx context.Context, sql string) error {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer c.Close(context.Background())
		_, err = c.Exec(ctx, sql)
		return err
	}
	if err := exec(t.Context(), "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
