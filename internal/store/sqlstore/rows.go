package sqlstore

import (
	"context"
	"fmt"
)

// queryAll runs q on the read pool and scans every row it returns; an
// error comes back mapped, after what ("list alerts").
func queryAll[T any](ctx context.Context, s *Store, what string, scan func(Scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := s.db.Query(ctx, q, args...)
	out, err := Collect(rows, err, scan)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, s.db.d.MapErr(err))
	}
	return out, nil
}

// writeRow runs q (an INSERT … RETURNING) in a transaction of its own on
// the write pool and returns its row.
func (db *DB) writeRow(ctx context.Context, q string, args ...any) Scanner {
	st, err := db.stmt(ctx, true, q)
	if err != nil {
		return errRow{err}
	}
	if st != nil {
		return mappedRow{st.QueryRowContext(ctx, args...), db.d}
	}
	return mappedRow{db.write.QueryRowContext(ctx, db.text(q), args...), db.d}
}

func scanInt64(sc Scanner) (int64, error) {
	var n int64
	err := sc.Scan(&n)
	return n, err
}
