package storepg

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/internal/record"
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

func paramsOf(b []byte) (map[string]string, error) {
	if b == nil {
		return nil, nil
	}
	p := map[string]string{}
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("decode params: %w", err)
	}
	return p, nil
}

func outputsOf(b []byte) ([]record.Output, error) {
	if b == nil {
		return nil, nil
	}
	o := []record.Output{}
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("decode outputs: %w", err)
	}
	return o, nil
}

func outputErrorsOf(b []byte) ([]string, error) {
	if b == nil {
		return nil, nil
	}
	e := []string{}
	if err := json.Unmarshal(b, &e); err != nil {
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
