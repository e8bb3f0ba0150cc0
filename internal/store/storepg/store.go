package storepg

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/gantryhq/gantry/internal/store"
	"github.com/gantryhq/gantry/internal/store/sqlstore"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store on PostgreSQL. It is safe for concurrent use.
type Store struct {
	*sqlstore.Store
	pool   *pgxpool.Pool
	db     *sql.DB  // pool through database/sql, for sqlstore
	queues queueSQL // sqlstore's, numbered
}

// Open connects to the database at url (postgres://user:pass@host/db?…) and
// brings its schema up to date.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may hold the password; do not echo the URL.
		return nil, fmt.Errorf("open postgres store: parse url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	s := &Store{Store: sqlstore.New(sqlstore.NewDB(db, db, dialect{})), pool: pool, db: db}
	s.queues = numberQueues(s.QueueSQL())
	return s, nil
}

// Close closes the pool's connections, waiting for those in use. Calling it
// again does nothing.
func (s *Store) Close() error {
	err := s.db.Close()
	s.pool.Close()
	return err
}
