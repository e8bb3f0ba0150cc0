package spec

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const routingProject = `project: p
environments:
  staging: {staging: true}
  prod:
    production: true
    approval: {required: 1, approvers: [ann, bob]}
    secrets: {dir: /etc/gantry/prod-secrets}
deploy:
  gates:
    L1: [check]
    L2: [check, approval]
alerts:
  group_by: [alertname, pipeline]
  group_wait: 10s
  scheduler_lag: 2m
  retention: 30d
  channels:
    slack: {type: slack, url_secret: slack_url}
    pager: {type: pagerduty, secret: pd_key}
    mail: {type: email, url: "smtp://mail.example.com:587?from=gantry@example.com", secret: smtp_password, to: [oncall@example.com]}
  routes:
    data-oncall:
      channels: [slack]
      repeat_interval: 1h
      routes:
        - match: {severity: critical}
          channels: [pager]
          continue: true
          group_wait: 1s
`

func TestParseProjectRoutingAndDeploy(t *testing.T) {
	t.Parallel()
	p, err := ParseProject("gantry.yaml", []byte(routingProject))
	if err != nil {
		t.Fatal(err)
	}
	prod := p.Environments[1]
	if !prod.Protected() || !reflect.DeepEqual(prod.Approval.Approvers, []string{"ann", "bob"}) ||
		prod.Secrets == nil || prod.Secrets.Dir != "/etc/gantry/prod-secrets" {
		t.Errorf("prod = %+v", prod)
	}
	if p.Environments[0].Protected() || p.Environments[0].Secrets != nil {
		t.Errorf("staging = %+v", p.Environments[0])
	}
	wantGates := map[string][]string{
		RiskL1: {GateCheck}, RiskL2: {GateCheck, GateApproval},
		RiskL3: DefaultGates[RiskL3], RiskL4: DefaultGates[RiskL4],
	}
	if !reflect.DeepEqual(p.Deploy.Gates, wantGates) {
		t.Errorf("gates = %v, want %v", p.Deploy.Gates, wantGates)
	}
	a := p.Alerts
	if !reflect.DeepEqual(a.Grouping, Grouping{GroupBy: []string{"alertname", "pipeline"}, GroupWait: 10 * time.Second}) ||
		a.SchedulerLag != 2*time.Minute || a.Retention != 30*24*time.Hour {
		t.Errorf("alerts = %+v", a)
	}
	want := Route{
		Name: "data-oncall", Channels: []string{"slack"}, Grouping: Grouping{RepeatInterval: time.Hour},
		Routes: []Route{{Match: map[string]string{"severity": "critical"}, Channels: []string{"pager"}, Continue: true, Grouping: Grouping{GroupWait: time.Second}}},
	}
	if !reflect.DeepEqual(a.Routes, []Route{want}) {
		t.Errorf("routes = %+v\nwant %+v", a.Routes, []Route{want})
	}
}

func TestParseProjectDefaultGates(t *testing.T) {
	t.Parallel()
	p, err := ParseProject("gantry.yaml", []byte("project: p\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.Deploy.Gates, DefaultGates) {
		t.Errorf("gates = %v, want the defaults", p.Deploy.Gates)
	}
}

func TestParseProjectRoutingErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, src, want string }{
		{"unknown class", "deploy: {gates: {L5: [check]}}", `gantry.yaml:1:18: deploy.gates.L5: unknown key "L5"`},
		{"gate without check", "deploy:\n  gates:\n    L1: [staging]", "gantry.yaml:3:9: deploy.gates.L1: every class needs the `check` gate"},
		{"unknown gate", "deploy: {gates: {L1: [check, vibes]}}", `gantry.yaml:1:30: deploy.gates.L1[1]:`},
		{"too few approvers", "environments:\n  prod: {approval: {required: 2, approvers: [ann]}}", "gantry.yaml:2:20: environments.prod.approval: needs 2 approval(s) but lists only 1 approver(s)"},
		{"child without match", "alerts:\n  channels: {s: {type: slack, url: 'http://x/'}}\n  routes:\n    r:\n      channels: [s]\n      routes:\n        - channels: [s]", "gantry.yaml:7:11: alerts.routes.r.routes[0]: missing `match:`"},
		{"match on named route", "alerts:\n  channels: {s: {type: slack, url: 'http://x/'}}\n  routes:\n    r: {channels: [s], match: {a: b}}", `alerts.routes.r.match: unknown key "match"`},
		{"unknown kind", "alerts:\n  channels: {s: {type: slack, url: 'http://x/'}}\n  routes:\n    r: {channels: [s], on: [failure, fire]}", "alerts.routes.r.on[1]:"},
		{"email over http", "alerts: {channels: {m: {type: email, url: 'http://mail:25', to: [a@b.c]}}}", "want smtp://host:port"},
		{"webhook over smtp", "alerts: {channels: {w: {type: webhook, url: 'smtp://mail:25'}}}", "want an http:// or https:// URL"},
		{"email without url", "alerts: {channels: {m: {type: email, to: [a@b.c]}}}", "needs `url:`"},
		{"bad group_wait", "alerts: {group_wait: soon}", "alerts.group_wait:"},
		{"bad label", "alerts: {group_by: [pipe-line]}", "alerts.group_by[0]:"},
		{"log cap too small", "logs: {max_size: 1Ki}", "gantry.yaml:1:18: logs.max_size: 1Ki is too small: an attempt's log keeps at least 4Ki"},
		{"log cap not a size", "logs: {max_size: lots}", "gantry.yaml:1:18: logs.max_size:"},
		{"log cap unknown key", "logs: {max_lines: 10}", `logs.max_lines: unknown key "max_lines"`},
		{"files bad glob", "files: [scripts, 'app/[a-']", `gantry.yaml:1:18: files[1]: bad glob "app/[a-": syntax error in pattern`},
		{"files outside", "files:\n  - ../secrets", `gantry.yaml:2:5: files[0]: want a clean path inside the project, got "../secrets"`},
		{"files absolute", "files: [/etc/passwd]", `gantry.yaml:1:9: files[0]: want a path relative to the project folder`},
		{"files not a list", "files: scripts", "gantry.yaml:1:8: files: expected a list"},
		{"files empty", "files: []", "gantry.yaml:1:8: files: lists no files"},
		{"files twice", "files: [app, app/]", `gantry.yaml:1:14: files[1]: "app" is listed twice`},
		{"files typo key", "file: [app]", `gantry.yaml:1:1: file: unknown key "file"`},
		{"test not a mapping", "test: ./run-tests.sh", "gantry.yaml:1:7: test: expected a mapping"},
		{"test without run", "test: {}", "gantry.yaml:1:7: test: missing `run:`"},
		{"test empty run", "test: {run: ''}", "gantry.yaml:1:13: test.run: must not be empty"},
		{"test two lines", "test:\n  run: |\n    make\n    make test", "gantry.yaml:2:8: test.run: must be one line"},
		{"test typo key", "test: {command: make test}", `gantry.yaml:1:8: test.command: unknown key "command"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseProject("gantry.yaml", []byte(tt.src))
			if err == nil {
				t.Fatalf("accepted: %+v", p)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParamsFor(t *testing.T) {
	t.Parallel()
	proj, err := ParseProject("gantry.yaml", []byte("environments:\n  staging: {params: {data_dir: /tmp/s, region: eu}}\n  prod: {production: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	p := &Pipeline{
		Params:       []Param{{Name: "data_dir", Default: "data", HasDefault: true}, {Name: "limit"}},
		Environments: []Environment{{Name: "staging", Params: map[string]string{"limit": "10"}}},
	}
	got := ParamsFor(proj, p, "staging")
	want := map[string]string{"data_dir": "/tmp/s", "limit": "10"} // region is not p's
	if !reflect.DeepEqual(got, want) {
		t.Errorf("staging params = %v, want %v", got, want)
	}
	if got := ParamsFor(proj, p, "prod"); got != nil {
		t.Errorf("prod params = %v, want none", got)
	}
	if got := ParamsFor(proj, p, ""); got != nil {
		t.Errorf("no env: params = %v, want none", got)
	}
}

func TestParseProjectTest(t *testing.T) {
	t.Parallel()
	p, err := ParseProject("gantry.yaml", []byte("test: {run: ./app/hello_test.sh}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Test.Run != "./app/hello_test.sh" {
		t.Errorf("Test.Run = %q, want ./app/hello_test.sh", p.Test.Run)
	}
	if pos := p.Positions["test.run"]; pos.Line != 1 || pos.Col != 8 {
		t.Errorf("test.run at %+v, want 1:8", pos)
	}
}

func TestParseProjectLogCap(t *testing.T) {
	t.Parallel()
	p, err := ParseProject("gantry.yaml", []byte("logs: {max_size: 64Mi}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.LogLimit() != 64<<20 {
		t.Errorf("LogLimit() = %d, want 64 MiB", p.LogLimit())
	}
	var none *Project
	if none.LogLimit() != 0 {
		t.Error("a project without gantry.yaml has a log cap")
	}
}

func TestParseProjectFiles(t *testing.T) {
	t.Parallel()
	p, err := ParseProject("gantry.yaml", []byte("files: [scripts/, 'app/*.py', lib]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"scripts", "app/*.py", "lib"}; !reflect.DeepEqual(p.Files, want) {
		t.Errorf("files = %q, want %q", p.Files, want)
	}
	for rel, want := range map[string]bool{
		"scripts/a.sh": true, "scripts/deep/b.sh": true, "app/server.py": true, "app/x/server.py": false,
		"app/README.md": false, "lib/common.sh": true, "library/x": false, "notes.txt": false,
	} {
		if got := MatchFiles(p.Files, rel); got != want {
			t.Errorf("MatchFiles(%q) = %v, want %v", rel, got, want)
		}
	}
}
