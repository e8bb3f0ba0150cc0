package sqlstore

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/store"
)

// DefaultLimit is the page size when a filter's Limit is 0; a negative Limit
// means no limit.
const DefaultLimit = 50

// Limit is n as a LIMIT: DefaultLimit for n <= 0.
func Limit(n int) int {
	if n <= 0 {
		return DefaultLimit
	}
	return n
}

// Now is the current time as the stores keep it: UTC, to the microsecond.
func Now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

// Time scans a time column however the database stores it: unix
// microseconds (SQLite), a timestamp (PostgreSQL), or NULL (the zero time).
type Time struct{ T time.Time }

// Scan implements sql.Scanner.
func (t *Time) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		t.T = time.Time{}
	case int64:
		t.T = time.UnixMicro(v).UTC()
	case time.Time:
		t.T = v.UTC()
	default:
		return fmt.Errorf("scan time: unsupported %T", src)
	}
	return nil
}

// ID scans an optional reference: NULL is 0.
type ID struct{ N int64 }

// Scan implements sql.Scanner.
func (id *ID) Scan(src any) error {
	var n sql.NullInt64
	if err := n.Scan(src); err != nil {
		return err
	}
	id.N = n.Int64
	return nil
}

// IDArg is id, or NULL for 0 (an optional reference).
func IDArg(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// JSON scans a JSON column (text or jsonb) into V; NULL leaves V as it is
// and Null true.
type JSON[T any] struct {
	V    T
	Null bool
}

// Scan implements sql.Scanner.
func (j *JSON[T]) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		j.Null = true
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("scan json: unsupported %T", src)
	}
	if err := json.Unmarshal(b, &j.V); err != nil {
		return fmt.Errorf("decode json: %w", err)
	}
	return nil
}

// JSONArg encodes v as JSON text, or NULL when isNil.
func JSONArg(v any, isNil bool) (any, error) {
	if isNil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode json: %w", err)
	}
	return string(b), nil
}

// AffectedOne maps an update that matched no row to store.ErrNotFound; err,
// when set, is returned as it is.
func AffectedOne(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// Collect scans every row with scan and closes rows.
func Collect[T any](rows *sql.Rows, err error, scan func(Scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
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

// Where builds the WHERE and LIMIT of a list query from optional filters.
type Where struct {
	conds []string
	args  []any
}

// Add adds cond, with one ? for v.
func (w *Where) Add(cond string, v any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, v)
}

// Term adds cond, which has no placeholder.
func (w *Where) Term(cond string) { w.conds = append(w.conds, cond) }

// In adds col IN (…) over vs; nothing when vs is empty.
func In[T ~string](w *Where, col string, vs []T) {
	if len(vs) == 0 {
		return
	}
	w.conds = append(w.conds, col+" IN (?"+strings.Repeat(", ?", len(vs)-1)+")")
	for _, v := range vs {
		w.args = append(w.args, string(v))
	}
}

// Query is q (a SELECT … FROM …) with the WHERE, then order, then the LIMIT
// for n (0: DefaultLimit, < 0: none), and its arguments.
func (w *Where) Query(q, order string, n int) (string, []any) {
	if len(w.conds) > 0 {
		q += " WHERE " + strings.Join(w.conds, " AND ")
	}
	if order != "" {
		q += " ORDER BY " + order
	}
	args := w.args
	if n >= 0 {
		q += " LIMIT ?"
		args = append(args, Limit(n))
	}
	return q, args
}
