package storesqlite

import (
	"context"
	"database/sql"
	"time"
)

// dialect is SQLite's sqlstore.Dialect: ? placeholders, times as unix
// microseconds, prepared statements, one writer (so no locks to take).
type dialect struct{}

func (dialect) NumberedPlaceholders() bool { return false }
func (dialect) Prepare() bool              { return true }
func (dialect) MapErr(err error) error     { return mapErr(err) }
func (dialect) ForUpdate() string          { return "" }
func (dialect) LastInsertID() bool         { return true }
func (dialect) SkipLocked() string         { return "" }

// Notify is "": one process uses a SQLite store.
func (dialect) Notify(string) string { return "" }

// LabelsWithin holds when no label of col is missing from, or different
// in, the given object. Label keys are [A-Za-z0-9_./-] (spec checks
// them), so a key needs no escaping inside the JSON path.
func (dialect) LabelsWithin(col string) string {
	return `NOT EXISTS (SELECT 1 FROM json_each(` + col + `) l WHERE json_extract(?, '$."' || l.key || '"') IS NOT l.value)`
}

// IndexHint names the index: SQLite, knowing no statistics, would otherwise
// walk a pipeline's runs through runs_pipeline_id instead of the few in
// the partial index.
func (dialect) IndexHint(index string) string { return " INDEXED BY " + index }

// FencedTx is "": one process writes a SQLite store.
func (dialect) FencedTx() string { return "" }

// LockKey has nothing to do: the write connection is the only writer.
func (dialect) LockKey(context.Context, *sql.Tx, string) error { return nil }

// TimeArg is t as unix microseconds, or NULL for the zero time.
func (dialect) TimeArg(t time.Time) any { return timeArg(t) }

// Bytewise is "": SQLite's default collation, BINARY, compares bytes.
func (dialect) Bytewise() string { return "" }

// timeArg is t as unix microseconds, or NULL for the zero time.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}
