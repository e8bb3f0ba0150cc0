package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/gantryhq/gantry/internal/store/sqlstore"
)

// oneWriter is a dialect that prepares statements on a pool of one
// connection, as SQLite's write pool is.
type oneWriter struct{}

func (oneWriter) NumberedPlaceholders() bool                     { return false }
func (oneWriter) Prepare() bool                                  { return true }
func (oneWriter) TimeArg(t time.Time) any                        { return t.UnixMicro() }
func (oneWriter) FencedTx() string                               { return "" }
func (oneWriter) MapErr(err error) error                         { return err }
func (oneWriter) LockKey(context.Context, *sql.Tx, string) error { return nil }
func (oneWriter) ForUpdate() string                              { return "" }
func (oneWriter) IndexHint(string) string                        { return "" }
func (oneWriter) SkipLocked() string                             { return "" }
func (oneWriter) LabelsWithin(string) string                     { return "1 = 1" }
func (oneWriter) Notify(string) string                           { return "" }

// TestPrepareWhileTxHoldsTheConnection runs a statement never run before
// while a transaction holds the one write connection and then runs a
// statement new to it too: both finish, as neither waits for the other
// holding the statement cache.
func TestPrepareWhileTxHoldsTheConnection(t *testing.T) {
	pool, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pool.SetMaxOpenConns(1)
	if _, err := pool.Exec(`CREATE TABLE t (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	db := sqlstore.NewDB(pool, pool, oneWriter{})
	defer db.Close()
	ctx := t.Context()
	inTx, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 2)
	go func() {
		done <- db.WriteTx(ctx, func(tx *sqlstore.Tx) error {
			if _, err := tx.Exec(`INSERT INTO t VALUES (1)`); err != nil {
				return err
			}
			close(inTx)
			<-release
			_, err := tx.Exec(`INSERT INTO t VALUES (2)`)
			return err
		})
	}()
	<-inTx
	go func() {
		_, err := db.Exec(ctx, `INSERT INTO t VALUES (3)`)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond) // for Exec to wait for the connection
	close(release)
	for range 2 {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the transaction and the statement wait for each other")
		}
	}
	var n int
	if err := pool.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 3 {
		t.Errorf("%d rows (%v), want 3", n, err)
	}
}

func (oneWriter) Bytewise() string   { return "" }
func (oneWriter) LastInsertID() bool { return true }
