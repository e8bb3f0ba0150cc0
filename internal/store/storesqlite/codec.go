package storesqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
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

func paramsArg(p map[string]string) (any, error) { return jsonArg(p, p == nil) }

func outputsArg(o []record.Output) (any, error) { return jsonArg(o, o == nil) }

func outputErrorsArg(e []string) (any, error) { return jsonArg(e, e == nil) }

// attemptJSON encodes an attempt's JSON columns: outputs, output errors.
func attemptJSON(a *record.TaskAttempt) (outputs, outErrs any, err error) {
	if outputs, err = outputsArg(a.Outputs); err != nil {
		return nil, nil, err
	}
	outErrs, err = outputErrorsArg(a.OutputErrors)
	return outputs, outErrs, err
}

func paramsOf(s sql.NullString) (map[string]string, error) {
	if !s.Valid {
		return nil, nil
	}
	p := map[string]string{}
	if err := json.Unmarshal([]byte(s.String), &p); err != nil {
		return nil, fmt.Errorf("decode params: %w", err)
	}
	return p, nil
}

func outputsOf(s sql.NullString) ([]record.Output, error) {
	if !s.Valid {
		return nil, nil
	}
	o := []record.Output{}
	if err := json.Unmarshal([]byte(s.String), &o); err != nil {
		return nil, fmt.Errorf("decode outputs: %w", err)
	}
	return o, nil
}

func outputErrorsOf(s sql.NullString) ([]string, error) {
	if !s.Valid {
		return nil, nil
	}
	e := []string{}
	if err := json.Unmarshal([]byte(s.String), &e); err != nil {
		return nil, fmt.Errorf("decode output errors: %w", err)
	}
	return e, nil
}

// idArg is id, or NULL for 0 (an optional reference).
func idArg(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
