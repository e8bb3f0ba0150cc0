package storesqlite

import (
	"database/sql"

	"github.com/gantryhq/gantry/internal/store/sqlstore"
)

// defaultLimit is the page size when a filter's Limit is 0; a negative Limit
// means no limit.
const defaultLimit = 50

func limit(n int) int {
	if n <= 0 {
		return defaultLimit
	}
	return n
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// affectedOne maps an update that matched no row to store.ErrNotFound.
func affectedOne(res sql.Result, err error) error { return sqlstore.AffectedOne(res, mapErr(err)) }
