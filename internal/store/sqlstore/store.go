package sqlstore

import (
	"time"
)

// Store is the store.Store methods written once over a DB. A driver embeds
// it and adds Close (and whatever it does its own way).
type Store struct {
	db     *DB
	queues QueueSQL
}

// New returns the queries of store.Store over db.
func New(db *DB) *Store { return &Store{db: db, queues: queueSQL(db.d)} }

// DB is the database s runs on.
func (s *Store) DB() *DB { return s.db }

// t is t as a query argument in the store's dialect.
func (s *Store) t(t time.Time) any { return s.db.d.TimeArg(t) }
