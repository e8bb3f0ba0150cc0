package api

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// Page sizes of the list routes.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// RunQuery is the query of GET /api/v1/runs. Zero fields do not filter;
// Limit 0 means DefaultLimit.
type RunQuery struct {
	Pipeline   string
	Env        *string // nil: every environment; "" the runs outside any
	States     []record.RunState
	Trigger    record.Trigger
	BackfillID int64
	Limit      int
	Before     int64 // only runs with a smaller ID: the next page
}

// Values encodes q as a URL query.
func (q RunQuery) Values() url.Values {
	v := url.Values{}
	setString(v, "pipeline", q.Pipeline)
	setEnv(v, q.Env)
	for _, s := range q.States {
		v.Add("state", string(s))
	}
	setString(v, "trigger", string(q.Trigger))
	setInt(v, "backfill", q.BackfillID)
	setInt(v, "limit", int64(q.Limit))
	setInt(v, "before", q.Before)
	return v
}

// DeadLetterQuery is the query of GET /api/v1/dead-letters.
type DeadLetterQuery struct {
	Pipeline string
	Env      *string // nil: every environment; "" the runs outside any
	All      bool    // include replayed dead letters
	Limit    int     // 0 means DefaultLimit
}

// Values encodes q as a URL query.
func (q DeadLetterQuery) Values() url.Values {
	v := url.Values{}
	setString(v, "pipeline", q.Pipeline)
	setEnv(v, q.Env)
	if q.All {
		v.Set("all", "true")
	}
	setInt(v, "limit", int64(q.Limit))
	return v
}

// LogQuery is the query of GET /api/v1/runs/{id}/logs.
type LogQuery struct {
	Task    string // "" means every task
	Attempt int    // 1-based; 0 means every attempt
	Tail    int    // last lines of each log; 0 means all of it
	Follow  bool   // stream until the attempts are final
}

// Values encodes q as a URL query.
func (q LogQuery) Values() url.Values {
	v := url.Values{}
	setString(v, "task", q.Task)
	setInt(v, "attempt", int64(q.Attempt))
	setInt(v, "tail", int64(q.Tail))
	if q.Follow {
		v.Set("follow", "true")
	}
	return v
}

func setString(v url.Values, key, s string) {
	if s != "" {
		v.Set(key, s)
	}
}

// setEnv sets env, even to "" (the runs outside any environment), unless
// env is nil.
func setEnv(v url.Values, env *string) {
	if env != nil {
		v.Set("env", *env)
	}
}

// queryEnv reads the optional env filter: absent is nil, "env=" is "".
func queryEnv(v url.Values) *string {
	if !v.Has("env") {
		return nil
	}
	env := v.Get("env")
	return &env
}

func setInt(v url.Values, key string, n int64) {
	if n != 0 {
		v.Set(key, strconv.FormatInt(n, 10))
	}
}

var runStates = map[record.RunState]bool{
	record.RunQueued: true, record.RunWaiting: true, record.RunRunning: true,
	record.RunSucceeded: true, record.RunFailed: true, record.RunCancelled: true,
}

var triggers = map[record.Trigger]bool{
	record.TriggerManual: true, record.TriggerSchedule: true, record.TriggerUpstream: true,
	record.TriggerBackfill: true, record.TriggerStaging: true, record.TriggerReplay: true,
	record.TriggerRollback: true,
}

// parseRunQuery reads the runs query; state may repeat or be a comma list.
func parseRunQuery(v url.Values) (RunQuery, error) {
	q := RunQuery{Pipeline: v.Get("pipeline"), Env: queryEnv(v), Trigger: record.Trigger(v.Get("trigger"))}
	for _, s := range v["state"] {
		for part := range strings.SplitSeq(s, ",") {
			st := record.RunState(strings.TrimSpace(part))
			if !runStates[st] {
				return q, &FieldError{Field: "state", Msg: "unknown run state " + strconv.Quote(string(st))}
			}
			q.States = append(q.States, st)
		}
	}
	if q.Trigger != "" && !triggers[q.Trigger] {
		return q, &FieldError{Field: "trigger", Msg: "unknown trigger " + strconv.Quote(string(q.Trigger))}
	}
	var err error
	if q.BackfillID, err = queryID(v, "backfill"); err != nil {
		return q, err
	}
	if q.Before, err = queryID(v, "before"); err != nil {
		return q, err
	}
	q.Limit, err = queryLimit(v)
	return q, err
}

func (q RunQuery) filter() store.RunFilter {
	return store.RunFilter{
		Pipeline: q.Pipeline, Env: q.Env, States: q.States, Trigger: q.Trigger,
		BackfillID: q.BackfillID, Limit: q.Limit, BeforeID: q.Before,
	}
}

func parseDeadLetterQuery(v url.Values) (DeadLetterQuery, error) {
	q := DeadLetterQuery{Pipeline: v.Get("pipeline"), Env: queryEnv(v)}
	var err error
	if q.All, err = queryBool(v, "all"); err != nil {
		return q, err
	}
	q.Limit, err = queryLimit(v)
	return q, err
}

func parseLogQuery(v url.Values) (LogQuery, error) {
	q := LogQuery{Task: v.Get("task"), Tail: -1}
	n, err := queryInt(v, "attempt", 1)
	if err != nil {
		return q, err
	}
	q.Attempt = int(n)
	if v.Has("tail") {
		n, err := queryInt(v, "tail", 0)
		if err != nil {
			return q, err
		}
		q.Tail = int(n)
	}
	q.Follow, err = queryBool(v, "follow")
	return q, err
}

// queryLimit reads limit, 1..MaxLimit, defaulting to DefaultLimit.
func queryLimit(v url.Values) (int, error) {
	if !v.Has("limit") {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(v.Get("limit"))
	if err != nil || n < 1 || n > MaxLimit {
		return 0, &FieldError{Field: "limit", Msg: "must be an integer from 1 to " + strconv.Itoa(MaxLimit)}
	}
	return n, nil
}

// queryID reads an optional positive ID; absent is 0.
func queryID(v url.Values, key string) (int64, error) {
	return queryInt(v, key, 1)
}

// queryInt reads an optional integer >= min; absent is 0.
func queryInt(v url.Values, key string, least int64) (int64, error) {
	if !v.Has(key) {
		return 0, nil
	}
	n, err := strconv.ParseInt(v.Get(key), 10, 64)
	if err != nil || n < least {
		return 0, &FieldError{Field: key, Msg: "must be an integer of at least " + strconv.FormatInt(least, 10)}
	}
	return n, nil
}

func queryBool(v url.Values, key string) (bool, error) {
	if !v.Has(key) {
		return false, nil
	}
	b, err := strconv.ParseBool(v.Get(key))
	if err != nil {
		return false, &FieldError{Field: key, Msg: "must be true or false"}
	}
	return b, nil
}
