package storepg

import (
	"encoding/json"
	"fmt"
	"time"
)

// timeArg is t in UTC truncated to the microsecond PostgreSQL keeps (pgx's
// binary encoding truncates too; this keeps it so whatever the encoding), or
// NULL for the zero time.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond)
}

// timeOf is the inverse of timeArg, in UTC.
func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func now() time.Time {
	return time.Now().UTC().Truncate(time.Microsecond)
}

// jsonArg encodes v as JSON text for a jsonb column, or NULL when isNil.
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
