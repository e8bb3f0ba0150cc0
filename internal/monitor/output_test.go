package monitor

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gantryhq/gantry/internal/record"
)

func TestNumericOutput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, key, value string
		wantKey          string
		want             float64
		ok               bool
	}{
		{"integer", "rows", "1042", "rows", 1042, true},
		{"float with exponent", "bytes", "2.5e6", "bytes", 2.5e6, true},
		{"negative", "delta", "-3.5", "delta", -3.5, true},
		{"padded value", "rows", " 7 ", "rows", 7, true},
		{"dots become underscores", "rows.loaded", "1", "rows_loaded", 1, true},
		{"dashes become underscores", "late-rows", "1", "late_rows", 1, true},
		{"leading underscore", "_tmp", "1", "_tmp", 1, true},
		{"word value", "status", "ok", "", 0, false},
		{"thousands separator", "rows", "1,042", "", 0, false},
		{"NaN", "ratio", "NaN", "", 0, false},
		{"infinity", "big", "+Inf", "", 0, false},
		{"empty value", "rows", "", "", 0, false},
		{"key starts with digit", "9lives", "1", "", 0, false},
		{"key with space", "a b", "1", "", 0, false},
		{"key with colon", "a:b", "1", "", 0, false},
		{"non-ASCII key", "zeilen_ä", "1", "", 0, false},
		{"empty key", "", "1", "", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			key, v, ok := numericOutput(record.Output{Key: tc.key, Value: tc.value})
			if ok != tc.ok || key != tc.wantKey || v != tc.want {
				t.Errorf("numericOutput(%q=%q) = %q, %v, %v; want %q, %v, %v",
					tc.key, tc.value, key, v, ok, tc.wantKey, tc.want, tc.ok)
			}
		})
	}
}

func TestAttemptOutputs(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, nil)
	outs := func(kv ...string) []record.Output {
		var o []record.Output
		for i := 0; i < len(kv); i += 2 {
			o = append(o, record.Output{Key: kv[i], Value: kv[i+1]})
		}
		return o
	}
	m.AttemptFinished("orders", "", record.TaskAttempt{Task: "load", State: record.TaskSucceeded,
		Outputs: outs("rows", "1042", "bytes.written", "2.5e6", "late-rows", " 7 ", "status", "ok",
			"9lives", "1", "a b", "1", "ratio", "NaN", "big", "+Inf", "pretty", "1,042", "", "3")})
	// The next attempt's value replaces the last one.
	m.AttemptFinished("orders", "", record.TaskAttempt{Task: "load", State: record.TaskSucceeded,
		Outputs: outs("rows", "-5")})

	want := `
# HELP gantry_task_output Last numeric value a task reported through $GANTRY_OUTPUT, by key.
# TYPE gantry_task_output gauge
gantry_task_output{env="",key="bytes_written",pipeline="orders",task="load"} 2.5e+06
gantry_task_output{env="",key="late_rows",pipeline="orders",task="load"} 7
gantry_task_output{env="",key="rows",pipeline="orders",task="load"} -5
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gantry_task_output"); err != nil {
		t.Error(err)
	}
}

func TestAttemptOutputsCardinalityCap(t *testing.T) {
	t.Parallel()
	m, reg := newMetrics(t, nil)
	// A task that names a key after each day must not grow series forever.
	for i := range MaxOutputKeys + 10 {
		m.AttemptFinished("orders", "", record.TaskAttempt{Task: "load", State: record.TaskSucceeded,
			Outputs: []record.Output{{Key: fmt.Sprintf("rows_day_%d", i), Value: "1"}}})
	}
	// Known keys still update after the cap is reached.
	m.AttemptFinished("orders", "", record.TaskAttempt{Task: "load", State: record.TaskSucceeded,
		Outputs: []record.Output{{Key: "rows_day_0", Value: "42"}}})
	// The cap is per task: another task has its own allowance.
	m.AttemptFinished("orders", "", record.TaskAttempt{Task: "report", State: record.TaskSucceeded,
		Outputs: []record.Output{{Key: "pages", Value: "3"}}})

	if got := testutil.CollectAndCount(m.outputs, "gantry_task_output"); got != MaxOutputKeys+1 {
		t.Errorf("output series = %d, want %d", got, MaxOutputKeys+1)
	}
	if got := value(t, reg, "gantry_task_output", map[string]string{"pipeline": "orders", "env": "", "task": "load", "key": "rows_day_0"}); got != 42 {
		t.Errorf("rows_day_0 = %v, want 42", got)
	}
	if _, ok := sample(t, reg, "gantry_task_output", map[string]string{"pipeline": "orders", "env": "", "task": "load", "key": fmt.Sprintf("rows_day_%d", MaxOutputKeys)}); ok {
		t.Error("a key past the cap was exported")
	}
}
