package export_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/gantryhq/gantry/internal/monitor"
	"github.com/gantryhq/gantry/internal/record"
)

// fakeSource gives every state gauge a value, so that each is gathered.
type fakeSource struct{}

func (fakeSource) QueueDepth() int   { return 1 }
func (fakeSource) RunningTasks() int { return 1 }
func (fakeSource) DeadLetters() int  { return 1 }
func (fakeSource) LastSuccess() map[string]map[string]time.Time {
	return map[string]map[string]time.Time{"orders_daily": {"prod": time.Unix(1772330400, 0)}}
}

// registeredNames lists the series names monitor exports, histograms as
// their _bucket, _sum and _count series, by gathering a populated registry.
var registeredNames = sync.OnceValues(func() (map[string]bool, error) {
	reg := prometheus.NewRegistry()
	m, err := monitor.New(reg, fakeSource{}, "test")
	if err != nil {
		return nil, err
	}
	t0 := time.Unix(1772330400, 0)
	m.RunFinished(record.Run{Pipeline: "orders_daily", Env: "prod", State: record.RunFailed, StartedAt: t0, FinishedAt: t0.Add(time.Minute)})
	m.AttemptFinished("orders_daily", "prod", record.TaskAttempt{Task: "load", State: record.TaskSucceeded,
		StartedAt: t0, FinishedAt: t0.Add(time.Second), Outputs: []record.Output{{Key: "rows", Value: "1"}}})
	m.SchedulerLag("orders_daily", "prod", time.Second)
	mfs, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[mf.GetName()+s] = true
			}
			continue
		}
		names[mf.GetName()] = true
	}
	return names, nil
})

// assertRegistered fails unless expr references at least one metric and
// only metrics monitor registers.
func assertRegistered(t *testing.T, where, expr string) {
	t.Helper()
	known, err := registeredNames()
	if err != nil {
		t.Fatalf("gather monitor's metrics: %v", err)
	}
	names := metricNames(expr)
	if len(names) == 0 {
		t.Errorf("%s: references no metric: %s", where, expr)
	}
	for _, n := range names {
		if !known[n] {
			t.Errorf("%s: %s is not a metric Gantry exports (expr: %s)", where, n, expr)
		}
	}
}

// promqlKeywords are the identifiers of PromQL that are neither metric
// names nor followed by a parenthesis.
var promqlKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "offset": true, "bool": true,
	"inf": true, "nan": true,
}

// aggregators may be followed by a clause before their parenthesis.
var aggregators = map[string]bool{
	"sum": true, "min": true, "max": true, "avg": true, "group": true, "stddev": true,
	"stdvar": true, "count": true, "count_values": true, "bottomk": true, "topk": true,
	"quantile": true, "limitk": true, "limit_ratio": true,
}

// clauseKeywords take a parenthesised list of label names.
var clauseKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true,
}

// metricNames returns the metric names a PromQL expression selects, in
// order, without duplicates. It is a lexer, not a parser: string literals,
// label matchers and ranges are skipped, identifiers before "(" are
// functions, and clause keywords swallow their label lists.
func metricNames(expr string) []string {
	var names []string
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipString(expr, i)
		case c == '{':
			i = skipPast(expr, i, '}')
		case c == '[':
			i = skipPast(expr, i, ']')
		case isDigit(c) || c == '.':
			for i < len(expr) && (isIdent(expr[i]) || expr[i] == '.') {
				i++
			}
		case isIdentStart(c):
			j := i
			for j < len(expr) && isIdent(expr[j]) {
				j++
			}
			word := expr[i:j]
			k := j
			for k < len(expr) && strings.ContainsRune(" \t\n", rune(expr[k])) {
				k++
			}
			switch {
			case clauseKeywords[strings.ToLower(word)]:
				if k < len(expr) && expr[k] == '(' {
					j = skipPast(expr, k, ')')
				}
			case k < len(expr) && expr[k] == '(', promqlKeywords[strings.ToLower(word)], aggregators[strings.ToLower(word)]:
				// a function, an aggregation or an operator
			default:
				if !slices.Contains(names, word) {
					names = append(names, word)
				}
			}
			i = j
		default:
			i++
		}
	}
	return names
}

func skipString(s string, i int) int {
	q := s[i]
	for i++; i < len(s); i++ {
		switch {
		case s[i] == '\\' && q != '`':
			i++
		case s[i] == q:
			return i + 1
		}
	}
	return i
}

// skipPast returns the index after the first end at or after i, skipping
// string literals on the way.
func skipPast(s string, i int, end byte) int {
	for i++; i < len(s); {
		switch s[i] {
		case '"', '\'', '`':
			i = skipString(s, i)
		case end:
			return i + 1
		default:
			i++
		}
	}
	return i
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || c == ':' || c|0x20 >= 'a' && c|0x20 <= 'z' }
func isIdent(c byte) bool      { return isIdentStart(c) || isDigit(c) }

func TestMetricNames(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, expr string
		want       []string
	}{
		{"bare", "gantry_dead_letters", []string{"gantry_dead_letters"}},
		{"matchers and range", `rate(gantry_runs_total{pipeline=~"a|b",state="fail{ed}"}[5m])`, []string{"gantry_runs_total"}},
		{"aggregation clauses", `sum by (pipeline, le) (rate(x_bucket[1d])) / on (instance) group_left () max without (job) (y)`,
			[]string{"x_bucket", "y"}},
		{"clause after the aggregation", `sum(z) by (le)`, []string{"z"}},
		{"operators and numbers", `time() - a > 93600 and b offset 1h or c unless d bool 1.5e3`, []string{"a", "b", "c", "d"}},
		{"grafana variables in strings and ranges", `histogram_quantile(0.95, sum by (le) (rate(h{p=~"$pipeline"}[$__rate_interval])))`,
			[]string{"h"}},
		{"a misspelt metric is still a metric", "gantry_run_total", []string{"gantry_run_total"}},
		{"functions only", "vector(1)", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := metricNames(tc.expr); !slices.Equal(got, tc.want) {
				t.Errorf("metricNames(%q) = %q, want %q", tc.expr, got, tc.want)
			}
		})
	}
}

func TestRegisteredNames(t *testing.T) {
	t.Parallel()
	known, err := registeredNames()
	if err != nil {
		t.Fatal(err)
	}
	// The list the exports rely on; a rename in monitor must show up here.
	for _, n := range []string{
		"gantry_runs_total", "gantry_run_duration_seconds_bucket", "gantry_task_attempts_total",
		"gantry_task_duration_seconds_bucket", "gantry_task_output", "gantry_scheduler_lag_seconds_sum",
		"gantry_scheduler_lag_seconds_count", "gantry_queue_depth", "gantry_running_tasks",
		"gantry_dead_letters", "gantry_last_success_interval_end_timestamp_seconds", "gantry_build_info",
	} {
		if !known[n] {
			t.Errorf("monitor does not register %s", n)
		}
	}
}
