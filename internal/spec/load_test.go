package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTree writes files (path → content) under a new temp folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const testProject = `project: demo
environments:
  staging: {staging: true}
  prod: {production: true, approval: {required: 1}}
pools:
  warehouse: {slots: 2}
alerts:
  channels:
    hook: {type: webhook, url: "http://127.0.0.1:9/", secret: hook_key}
  routes:
    oncall: {channels: [hook]}
`

func TestLoadProject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		files     map[string]string
		pipelines int
		wantErrs  []string // substrings, one per expected error line
	}{
		{
			name: "valid project",
			files: map[string]string{
				"gantry.yaml":         testProject,
				"pipelines/a.yaml":    "pipeline: a\ntasks: [{id: t, run: x}]\nalerts: {route: oncall}\nconcurrency: {pool: warehouse}\nenvironments: {prod: {}}\n",
				"pipelines/b.yml":     "pipeline: b\nschedule: {after: [a]}\ntasks: [{id: t, run: x}]\n",
				"pipelines/notes.txt": "not a pipeline",
			},
			pipelines: 2,
		},
		{
			name:      "no gantry.yaml gives a zero project",
			files:     map[string]string{"pipelines/a.yaml": "pipeline: a\ntasks: [{id: t, run: x}]\nalerts: {route: anything}\n"},
			pipelines: 1,
		},
		{
			name: "cross-file errors",
			files: map[string]string{
				"gantry.yaml":      testProject,
				"pipelines/a.yaml": "pipeline: a\ntasks: [{id: t, run: x}]\nalerts: {route: on-call}\nconcurrency: {pool: warehose}\nenvironments: {production: {}}\n",
				"pipelines/b.yaml": "pipeline: a\nschedule: {cron: '@daily', after: [ab]}\ntasks: [{id: t, run: x}, {id: u, run: x, environment: stagin}]\n",
			},
			pipelines: 2,
			wantErrs: []string{
				`a.yaml:3:10: alerts.route: unknown route "on-call" (did you mean "oncall"?)`,
				`a.yaml:4:15: concurrency.pool: unknown pool "warehose"`,
				`a.yaml:5:16: environments.production: unknown environment "production" (`,
				`b.yaml:1:1: pipeline: duplicate pipeline name "a" (also in`,
				`b.yaml:2:36: schedule.after: unknown pipeline "ab" (did you mean "a"?)`,
				`b.yaml:3:42: tasks[1].environment: unknown environment "stagin" (did you mean "staging"?)`,
			},
		},
		{
			name: "errors from every file at once",
			files: map[string]string{
				"gantry.yaml":      "project: demo\nstor: x\n",
				"pipelines/a.yaml": "pipeline: a\n",
				"pipelines/b.yaml": "pipeline: b\ntasks: [{id: t, run: x, needs: [u]}]\n",
			},
			wantErrs: []string{
				`gantry.yaml:2:1: stor: unknown key "stor" (did you mean "store"?)`,
				"a.yaml:1:1: missing `tasks:`",
				`b.yaml:2:33: tasks[0].needs: unknown task "u"`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := writeTree(t, tt.files)
			proj, ps, err := LoadProject(dir)
			if len(tt.wantErrs) == 0 {
				if err != nil {
					t.Fatalf("LoadProject: %v", err)
				}
				if proj == nil || proj.Dir != dir {
					t.Fatalf("project = %+v", proj)
				}
			} else {
				if err == nil {
					t.Fatal("LoadProject accepted it")
				}
				lines := strings.Split(err.Error(), "\n")
				if len(lines) != len(tt.wantErrs) {
					t.Fatalf("got %d errors, want %d:\n%v", len(lines), len(tt.wantErrs), err)
				}
				for i, want := range tt.wantErrs {
					if !strings.Contains(lines[i], want) {
						t.Errorf("error %d = %q, want it to contain %q", i, lines[i], want)
					}
				}
			}
			if len(ps) != tt.pipelines {
				t.Errorf("got %d pipelines, want %d", len(ps), tt.pipelines)
			}
		})
	}
}

func TestLoadPaths(t *testing.T) {
	t.Parallel()
	dir := writeTree(t, map[string]string{
		"proj/gantry.yaml":      testProject,
		"proj/pipelines/a.yaml": "pipeline: a\ntasks: [{id: t, run: x}]\nalerts: {route: oncall}\n",
		"proj/pipelines/b.yaml": "pipeline: b\ntasks: [{id: t, run: x}]\nalerts: {route: nope}\n",
		"loose/c.yaml":          "pipeline: c\nschedule: {after: [unknown]}\ntasks: [{id: t, run: x}]\n",
		"loose/d.yml":           "pipeline: d\ntasks: [{id: t, run: x}]\n",
	})
	tests := []struct {
		name      string
		paths     []string
		pipelines int
		wantErr   string
	}{
		{"single file checked against its project", []string{"proj/pipelines/a.yaml"}, 1, ""},
		{"single file with a bad route", []string{"proj/pipelines/b.yaml"}, 1, `unknown route "nope"`},
		{"folder of pipeline files: after not checked", []string{"loose"}, 2, ""},
		{"same file twice counts once", []string{"loose", "loose/c.yaml"}, 2, ""},
		{"missing path", []string{"nope.yaml"}, 0, "nope.yaml: no such file or folder"},
		{"gantry.yaml alone", []string{"proj/gantry.yaml"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var paths []string
			for _, p := range tt.paths {
				paths = append(paths, filepath.Join(dir, p))
			}
			proj, ps, err := Load(paths...)
			if proj == nil {
				t.Fatal("Load returned a nil project")
			}
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Load: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Load error = %v, want %q", err, tt.wantErr)
			}
			if len(ps) != tt.pipelines {
				t.Fatalf("got %d pipelines, want %d", len(ps), tt.pipelines)
			}
		})
	}
}

func TestParseProject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		src     string
		wantErr string
	}{
		{"full", testProject + "store: postgres://db/gantry\nsecrets: {env_prefix: MY_, dir: /run/secrets}\n", ""},
		{"both production and staging", "environments: {x: {production: true, staging: true}}\n", "both production and staging"},
		{"unknown channel in route", "alerts:\n  channels: {hook: {type: webhook, url: 'http://x/', secret: k}}\n  routes: {r: {channels: [hok]}}\n", `unknown channel "hok" (did you mean "hook"?)`},
		{"bad channel type", "alerts: {channels: {c: {type: sms, url: 'http://x/'}}}\n", `"sms" is not one of`},
		{"webhook without url", "alerts: {channels: {c: {type: webhook}}}\n", "needs `url:` or `url_secret:`"},
		{"webhook without secret", "alerts: {channels: {c: {type: webhook, url: 'http://x/'}}}\n", "needs `secret:`"},
		{"pagerduty without secret", "alerts: {channels: {c: {type: pagerduty}}}\n", "needs `secret:`"},
		{"email without recipients", "alerts: {channels: {c: {type: email}}}\n", "needs `to:`"},
		{"bad url", "alerts: {channels: {c: {type: webhook, url: 'ftp://x'}}}\n", "invalid URL"},
		{"bad event", "alerts: {channels: {c: {type: email, to: [a@b.c]}}, routes: {r: {channels: [c], on: [failur]}}}\n", `(did you mean "failure"?)`},
		{"pool without slots", "pools: {p: {}}\n", "missing `slots:`"},
		{"pool slots zero", "pools: {p: {slots: 0}}\n", "must be at least 1"},
		{"bool as string", "environments: {x: {production: 'yes'}}\n", "expected true or false"},
		{"lowercase env prefix", "secrets: {env_prefix: my_}\n", "invalid environment variable prefix"},
		{"unknown key", "environments: {x: {aproval: {required: 1}}}\n", `(did you mean "approval"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := ParseProject("gantry.yaml", []byte(tt.src))
			if tt.wantErr == "" {
				if err != nil || p == nil {
					t.Fatalf("ParseProject: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("ParseProject error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
