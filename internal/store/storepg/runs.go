package storepg

import (
	"github.com/jackc/pgx/v5"
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

// collect scans every row with scan and closes rows.
func collect[T any](rows pgx.Rows, scan func(pgx.Row) (T, error)) ([]T, error) {
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
