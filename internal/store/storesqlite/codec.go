package storesqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// timeArg is t as unix microseconds, or NULL for the zero time.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// timeOf is the inverse of timeArg, in UTC.
func timeOf(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMicro(n.Int64).UTC()
}

// now is the current time as the store keeps it.
func now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

// jsonArg encodes v as JSON text, or NULL when isNil.
func jsonArg(v any, isNil bool) (any, error) {
	if isNil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode json: %w", err)
	}
	return string(b), nil
}

// idArg is id, or NULL for 0 (an optional reference).
func idArg(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
