package storepg

import (
	"context"
	"database/sql"
	"time"
)

// dialect is PostgreSQL's sqlstore.Dialect: numbered placeholders,
// timestamptz, pgx's own statement cache, row locks and advisory locks.
type dialect struct{}

func (dialect) NumberedPlaceholders() bool { return true }
func (dialect) Prepare() bool              { return false }
func (dialect) MapErr(err error) error     { return mapErr(err) }
func (dialect) ForUpdate() string          { return " FOR UPDATE" }
func (dialect) LastInsertID() bool         { return false }
func (dialect) IndexHint(string) string    { return "" }
func (dialect) TimeArg(t time.Time) any    { return timeArg(t) }
func (dialect) SkipLocked() string         { return " FOR UPDATE SKIP LOCKED" }

// LabelsWithin is jsonb containment.
func (dialect) LabelsWithin(col string) string { return col + " <@ ?::jsonb" }

// Notify is pg_notify, delivered at commit.
func (dialect) Notify(channel string) string { return "SELECT pg_notify('" + channel + "', ?)" }

// FencedTx bounds how long a fenced transaction may sit idle: a leader
// paused inside it loses the transaction (and the lease row's lock) after
// a second, so its replica can take the lease over; on resuming it
// finds its transaction gone and has written nothing.
func (dialect) FencedTx() string {
	return `SET LOCAL idle_in_transaction_session_timeout = '1s'`
}

// LockKey takes a transaction-scoped advisory lock on key.
func (dialect) LockKey(ctx context.Context, tx *sql.Tx, key string) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 7))`, key)
	return err
}

// timeArg is t in UTC truncated to the microsecond PostgreSQL keeps (pgx's
// binary encoding truncates too; this keeps it so whatever the encoding), or
// NULL for the zero time.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond)
}
