package sqlstore

import (
	"context"
	"database/sql"
	"time"
)

// Dialect is what a driver's database does differently.
type Dialect interface {
	// NumberedPlaceholders reports whether placeholders are $1, $2, …
	// (PostgreSQL) rather than ? (SQLite).
	NumberedPlaceholders() bool
	// Prepare reports whether statements are worth preparing once per
	// query text on the database/sql level. PostgreSQL's driver caches
	// prepared statements per connection already.
	Prepare() bool
	// LastInsertID reports whether the driver's sql.Result.LastInsertId is
	// the id an INSERT … RETURNING id returns (SQLite's rowid), and cheaper
	// to read than the row.
	LastInsertID() bool
	// TimeArg is t as a query argument, or NULL for the zero time.
	TimeArg(t time.Time) any
	// MapErr maps a database error to the store's sentinels
	// (store.ErrNotFound, store.ErrConflict, store.ErrUnavailable), keeping
	// the driver's message after the sentinel.
	MapErr(err error) error
	// LockKey takes, for the rest of tx, a lock on key that another
	// transaction taking the same key waits for. A database with one writer
	// at a time has nothing to do.
	LockKey(ctx context.Context, tx *sql.Tx, key string) error
	// ForUpdate is the clause that locks the rows a SELECT reads for the
	// rest of its transaction ("" when writers are serialised anyway).
	ForUpdate() string
	// Bytewise is the COLLATE clause after a text column that orders it by
	// its bytes, as Go and SQLite's default BINARY collation do, whatever
	// the database's locale ("" when that is the default already), so that
	// the order a method returns (a revision's files by path) is the same
	// on every driver.
	Bytewise() string
	// FencedTx is a statement run first in a fenced write's transaction
	// (see store.WithFence), or "": on PostgreSQL, a short
	// idle_in_transaction_session_timeout, so that a process paused
	// inside the transaction (holding the lease row's lock the fence
	// check takes) has it ended by the server instead of keeping another
	// process from taking the lease over.
	FencedTx() string
	// IndexHint is the clause after a table name that makes the query use
	// index (SQLite's INDEXED BY, for partial indexes its planner, knowing
	// no statistics, passes over), or "".
	IndexHint(index string) string
	// SkipLocked is the clause that locks the rows a SELECT reads for the
	// rest of its transaction, passing over rows another transaction has
	// locked ("" when writers are serialised anyway).
	SkipLocked() string
	// LabelsWithin is the condition that column col, a JSON object of
	// labels, is included in the JSON object given as its one placeholder.
	LabelsWithin(col string) string
	// Notify is a statement, with one placeholder for the payload, that
	// tells the processes listening on channel once the transaction
	// commits; "" when no other process shares the store.
	Notify(channel string) string
}
