package spec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustParse(t *testing.T, src string) *Pipeline {
	t.Helper()
	p, err := ParsePipeline("pipelines/p.yaml", []byte(src))
	if err != nil {
		t.Fatalf("ParsePipeline: %v", err)
	}
	return p
}

func TestParsePipelineValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		src   string
		check func(t *testing.T, p *Pipeline)
	}{
		{
			name: "defaults merged into tasks",
			src: `
pipeline: p
defaults:
  retries: {attempts: 3, backoff: exponential, initial: 30s, max: 10m, jitter: 0.1}
  timeout: 20m
  resources: {memory: 512Mi, cpu: "1"}
tasks:
  - id: a
    run: ./a.sh
  - id: b
    needs: [a]
    run: ./b.sh
    timeout: 30m
    retries: 5
    resources: {cpu: 0.5}
`,
			check: func(t *testing.T, p *Pipeline) {
				a, b := p.Task("a"), p.Task("b")
				want := Retries{Attempts: 3, Backoff: "exponential", Initial: 30 * time.Second, Max: 10 * time.Minute, Jitter: 0.1}
				if a.Retries == nil || *a.Retries != want {
					t.Errorf("a.Retries = %+v, want %+v", a.Retries, want)
				}
				if a.Retries == p.Defaults.Retries {
					t.Errorf("a.Retries aliases the defaults")
				}
				if a.Timeout != 20*time.Minute || b.Timeout != 30*time.Minute {
					t.Errorf("timeouts = %v, %v", a.Timeout, b.Timeout)
				}
				if b.Retries.Attempts != 5 || b.Retries.Backoff != "" {
					t.Errorf("b.Retries = %+v, want bare attempts", b.Retries)
				}
				if b.Resources != (Resources{Memory: 512 << 20, MilliCPU: 500}) {
					t.Errorf("b.Resources = %+v", b.Resources)
				}
				if p.Defaults.Timeout != 20*time.Minute {
					t.Errorf("Defaults not kept")
				}
			},
		},
		{
			name: "nothing set stays zero",
			src:  "pipeline: p\ntasks: [{id: a, run: x}]\n",
			check: func(t *testing.T, p *Pipeline) {
				a := p.Tasks[0]
				if a.Retries != nil || a.Timeout != 0 || a.Resources != (Resources{}) || p.Schedule != nil {
					t.Errorf("unexpected values: %+v", p)
				}
				if a.Pos != (Pos{Line: 2, Col: 9}) {
					t.Errorf("Pos = %+v", a.Pos)
				}
			},
		},
		{
			name: "params, schedule and env",
			src: `
pipeline: p
params:
  target: warehouse
  day: ~
  limit: 10
schedule: {cron: "@daily", timezone: Europe/Berlin, after: [up], catchup: all}
tasks:
  - id: a
    needs: b
    run: ./a.sh {{ .Params.day }} {{ .Params.target }}
    env:
      MODE: fast
      N: 3
      TOKEN: {secret: api_token}
  - id: b
    run: ./b.sh
`,
			check: func(t *testing.T, p *Pipeline) {
				wantParams := []Param{{"target", "warehouse", true}, {"day", "", false}, {"limit", "10", true}}
				if !reflect.DeepEqual(p.Params, wantParams) {
					t.Errorf("Params = %+v", p.Params)
				}
				s := p.Schedule
				if s.Cron != "@daily" || s.Location.String() != "Europe/Berlin" || s.Catchup != "all" || !reflect.DeepEqual(s.After, []string{"up"}) {
					t.Errorf("Schedule = %+v", s)
				}
				wantEnv := []EnvVar{{Name: "MODE", Value: "fast"}, {Name: "N", Value: "3"}, {Name: "TOKEN", Secret: "api_token"}}
				if !reflect.DeepEqual(p.Tasks[0].Env, wantEnv) {
					t.Errorf("Env = %+v", p.Tasks[0].Env)
				}
				if !reflect.DeepEqual(p.Tasks[0].Needs, []string{"b"}) {
					t.Errorf("Needs = %v", p.Tasks[0].Needs)
				}
			},
		},
		{
			name: "schedule without timezone is UTC",
			src:  "pipeline: p\nschedule: {cron: '*/5 * * * *'}\ntasks: [{id: a, run: x}]\n",
			check: func(t *testing.T, p *Pipeline) {
				if p.Schedule.Location != time.UTC || p.Schedule.Timezone != "" {
					t.Errorf("Location = %v", p.Schedule.Location)
				}
			},
		},
		{
			name: "sla, monitoring, rollback, environments, positions",
			src: `
pipeline: p
tasks:
  - id: load
    run: ./load.sh
sla: {deadline: "06:00", freshness: 26h}
monitoring:
  row_counts: {task: load, min: 1000, max_drop: 50%}
alerts: {route: data-oncall}
runbook: runbooks/p.md
rollback: {on_first_run_failure: previous_revision}
environments:
  staging: {params: {}}
  prod: {approval: {required: 2}}
  dev:
`,
			check: func(t *testing.T, p *Pipeline) {
				if p.SLA != (SLA{Deadline: "06:00", Freshness: 26 * time.Hour}) {
					t.Errorf("SLA = %+v", p.SLA)
				}
				if *p.Monitoring.RowCounts != (RowCounts{Task: "load", Min: 1000, MaxDrop: 0.5}) {
					t.Errorf("RowCounts = %+v", p.Monitoring.RowCounts)
				}
				if p.Rollback.OnFirstRunFailure != "previous_revision" || p.Alerts.Route != "data-oncall" || p.Runbook != "runbooks/p.md" {
					t.Errorf("rollback/alerts/runbook wrong: %+v", p)
				}
				if len(p.Environments) != 3 || p.Environments[1].Approval.Required != 2 || p.Environments[2].Name != "dev" {
					t.Errorf("Environments = %+v", p.Environments)
				}
				if got := p.Positions["sla.deadline"]; got != (Pos{Line: 6, Col: 7}) {
					t.Errorf("Positions[sla.deadline] = %+v", got)
				}
				if got := p.Positions["tasks[0].run"]; got != (Pos{Line: 5, Col: 5}) {
					t.Errorf("Positions[tasks[0].run] = %+v", got)
				}
			},
		},
		{
			name: "anchors and aliases",
			src: `
pipeline: p
tasks:
  - id: a
    run: x
    env: &env {LC_ALL: C}
  - id: b
    run: y
    env: *env
`,
			check: func(t *testing.T, p *Pipeline) {
				if !reflect.DeepEqual(p.Tasks[1].Env, []EnvVar{{Name: "LC_ALL", Value: "C"}}) {
					t.Errorf("aliased Env = %+v", p.Tasks[1].Env)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.check(t, mustParse(t, tt.src))
		})
	}
}

func TestParsePipelineRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want string // a substring of the error
	}{
		{"unknown top-level key", "pipeline: p\nx-env: &e {A: b}\ntasks: [{id: a, run: x}]\n", `2:1: x-env: unknown key "x-env"`},
		{"invalid task id", "pipeline: p\ntasks: [{id: Load Data, run: x}]\n", `tasks[0].id: invalid task id "Load Data"`},
		{"schedule needs cron or after", "pipeline: p\nschedule: {timezone: UTC}\ntasks: [{id: a, run: x}]\n", "needs `cron:`, `after:` or both"},
		{"after itself", "pipeline: p\nschedule: {after: [p]}\ntasks: [{id: a, run: x}]\n", "cannot run after itself"},
		{"local zone", "pipeline: p\nschedule: {cron: '@daily', timezone: Local}\ntasks: [{id: a, run: x}]\n", `"Local" depends on the machine`},
		{"cron with zone prefix", "pipeline: p\nschedule: {cron: 'CRON_TZ=UTC 0 2 * * *'}\ntasks: [{id: a, run: x}]\n", "set the zone with `timezone:`"},
		{"initial above max", "pipeline: p\ndefaults: {retries: {attempts: 2, initial: 5m, max: 1m}}\ntasks: [{id: a, run: x}]\n", "initial (5m0s) is longer than max (1m0s)"},
		{"retries without attempts", "pipeline: p\ntasks: [{id: a, run: x, retries: {backoff: constant}}]\n", "missing `attempts:`"},
		{"max drop above 100", "pipeline: p\ntasks: [{id: a, run: x}]\nmonitoring: {row_counts: {task: a, max_drop: 150%}}\n", "at most 100%"},
		{"row counts without task", "pipeline: p\ntasks: [{id: a, run: x}]\nmonitoring: {row_counts: {min: 1}}\n", "missing `task:`"},
		{"key that is a list", "pipeline: p\n[a]: 1\ntasks: [{id: a, run: x}]\n", "a key must be a plain name"},
		{"huge integer", "pipeline: p\nconcurrency: {parallelism: 99999999999999999999}\ntasks: [{id: a, run: x}]\n", "expected a whole number"},
		{"float where int", "pipeline: p\nconcurrency: {parallelism: 1.5}\ntasks: [{id: a, run: x}]\n", "expected a whole number, got 1.5"},
		{"null env value", "pipeline: p\ntasks: [{id: a, run: x, env: {A: }}]\n", "missing value"},
		{"env secret with extra key", "pipeline: p\ntasks: [{id: a, run: x, env: {A: {secret: s, value: v}}}]\n", `unknown key "value"`},
		{"param as mapping", "pipeline: p\nparams: {a: {default: 1}}\ntasks: [{id: a, run: x}]\n", "expected a default value"},
		{"dataset list with duplicates", "pipeline: p\nproduces: [a.b, a.b]\ntasks: [{id: a, run: x}]\n", "listed twice"},
		{"workdir empty", "pipeline: p\ntasks: [{id: a, run: x, workdir: ''}]\n", "must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParsePipeline("p.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("ParsePipeline accepted it: %+v", p)
			}
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error is %T, want Errors", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestErrorFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  Error
		want string
	}{
		{"full", Error{File: "pipelines/orders.yaml", Line: 14, Col: 7, Path: "tasks[2].needs", Msg: `unknown task "transfrom"`, Hint: `did you mean "transform"?`},
			`pipelines/orders.yaml:14:7: tasks[2].needs: unknown task "transfrom" (did you mean "transform"?)`},
		{"line only", Error{File: "a.yaml", Line: 3, Msg: "invalid YAML: x"}, "a.yaml:3: invalid YAML: x"},
		{"file only", Error{File: "a.yaml", Msg: "file is empty"}, "a.yaml: file is empty"},
		{"bare", Error{Msg: "m"}, "m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.err.Error(); got != tt.want {
				t.Fatalf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
	es := Errors{{File: "b", Line: 1, Msg: "y"}, {File: "a", Line: 9, Msg: "x"}, {File: "a", Line: 2, Col: 5, Msg: "w"}}
	if got, want := es.Err().Error(), "a:2:5: w\na:9: x\nb:1: y"; got != want {
		t.Fatalf("Errors = %q, want %q", got, want)
	}
	if (Errors{}).Err() != nil {
		t.Fatal("empty Errors.Err() is not nil")
	}
}

func TestPipelineGraph(t *testing.T) {
	t.Parallel()
	p := mustParse(t, "pipeline: p\ntasks:\n- {id: c, needs: [b], run: x}\n- {id: a, run: x}\n- {id: b, needs: [a], run: x}\n")
	g, err := p.Graph()
	if err != nil {
		t.Fatal(err)
	}
	order, _ := g.Order()
	if !reflect.DeepEqual(order, []string{"a", "b", "c"}) {
		t.Fatalf("Order = %v", order)
	}
}

func TestWorkDir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, workdir, want string
	}{
		{"project folder by default", "proj/pipelines/a.yaml", "", "proj"},
		{"relative workdir inside the project", "proj/pipelines/a.yaml", "sub/dir", "proj/sub/dir"},
		{"absolute workdir", "proj/pipelines/a.yaml", "/srv/x/", "/srv/x"},
		{"pipeline outside pipelines/", "flows/a.yaml", "", "flows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &Pipeline{File: tt.file}
			if got := p.WorkDir(&Task{Workdir: tt.workdir}); got != tt.want {
				t.Fatalf("WorkDir = %q, want %q", got, tt.want)
			}
		})
	}
}
