package cli_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// outputCase is one list or show command and the API request that
// answers the same question.
type outputCase struct {
	name string
	args []string
	api  string // the path and query the CLI's client sends
	// local is whether the command also reads the local store without a
	// server (alerts and silences live on the server only).
	local bool
}

var outputCases = []outputCase{
	{"runs", []string{"runs"}, "/api/v1/runs?limit=20", true},
	{"runs_show", []string{"runs", "show", "1"}, "/api/v1/runs/1", true},
	{"pipelines", []string{"pipelines"}, "/api/v1/pipelines", true},
	{"dlq_list", []string{"dlq", "list"}, "/api/v1/dead-letters?limit=50", true},
	{"deployments", []string{"deployments"}, "/api/v1/deployments?limit=20", true},
	{"deployments_show", []string{"deployments", "show", "1"}, "/api/v1/deployments/1", true},
	{"revisions", []string{"revisions", "ingest"}, "/api/v1/pipelines/ingest/revisions?limit=20", true},
	{"audit", []string{"audit"}, "/api/v1/audit?limit=200", true},
	{"token_list", []string{"token", "list"}, "/api/v1/tokens", true},
	{"alerts_list", []string{"alerts", "list", "--state", "all"}, "/api/v1/alerts?limit=50", false},
	{"silence_list", []string{"silence", "list"}, "/api/v1/silences?active=true", false},
}

// -o json prints what the API answers to the same question — through the
// project's server and, once it stopped, from the local store — and -o
// yaml the same document; the field names of each are golden
// (testdata/output/NAME.fields, refreshed with -update).
func TestOutputFormats(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "deploy", "testdata", "project"))); err != nil {
		t.Fatal(err)
	}
	// No cron: no catch-up run races the ones below, so that what each
	// command prints is the same at every run of the test.
	replaceIn(t, filepath.Join(dir, "pipelines", "ingest.yaml"), "schedule:\n  cron: \"0 1 * * *\"\n  timezone: Europe/Berlin\n", "")
	replaceIn(t, filepath.Join(dir, "pipelines", "orders.yaml"), "  cron: \"0 3 * * *\"\n", "")
	s := serve(t, dir, nil)
	mustIn(t, dir, "deploy", "ingest", "--env", "staging", "--wait")
	mustIn(t, dir, "trigger", "ingest")
	waitFor(t, 60*time.Second, "the staging run, ingest's and orders' after it to succeed", func() bool {
		out := gantry(t, dir, "runs").stdout
		return len(lines(out)) == 4 && strings.Count(out, " succeeded ") == 3
	})
	mustIn(t, dir, "token", "create", "--user", "ci", "--role", "viewer")
	mustIn(t, dir, "silence", "add", "--match", "pipeline=ingest", "--duration", "2h", "--reason", "golden test")
	token := s.adminToken()

	viaServer := map[string]any{}
	for _, tc := range outputCases {
		var got, want any
		waitFor(t, 30*time.Second, tc.name+" -o json to be what GET "+tc.api+" answers", func() bool {
			got = outputJSON(t, dir, append(tc.args, "-o", "json")...)
			if code := s.getJSON(tc.api, token, &want); code != 200 {
				t.Fatalf("GET %s: %d", tc.api, code)
			}
			return reflect.DeepEqual(got, want)
		})
		viaServer[tc.name] = got
		y := mustIn(t, dir, append(tc.args, "-o", "yaml")...)
		var fromYAML any
		if err := yaml.Unmarshal([]byte(y.stdout), &fromYAML); err != nil {
			t.Fatalf("%s -o yaml: %v\n%s", tc.name, err, y.stdout)
		}
		if !reflect.DeepEqual(normalizeNumbers(fromYAML), got) {
			t.Errorf("%s: -o yaml is not the -o json document:\n%s", tc.name, y.stdout)
		}
		golden(t, filepath.Join("testdata", "output", tc.name+".fields"), strings.Join(fieldPaths(got), "\n")+"\n")
	}

	s.stop()
	for _, tc := range outputCases {
		if !tc.local {
			continue
		}
		if got := outputJSON(t, dir, append(tc.args, "-o", "json")...); !reflect.DeepEqual(got, viaServer[tc.name]) {
			a, _ := json.MarshalIndent(got, "", "  ")
			b, _ := json.MarshalIndent(viaServer[tc.name], "", "  ")
			t.Errorf("%s -o json from the local store differs from through the server:\n%s\nthrough the server:\n%s", tc.name, a, b)
		}
	}
	r := gantry(t, dir, "runs", "-o", "xml")
	wantCode(t, r, 2)
	wantContains(t, "-o xml", r.stderr, `-o "xml": want table, json or yaml`)
}

// mustIn runs gantry in dir and fails the test unless it exits 0.
func mustIn(t *testing.T, dir string, args ...string) result {
	t.Helper()
	r := gantry(t, dir, args...)
	if r.code != 0 {
		t.Fatal(r)
	}
	return r
}

// outputJSON runs gantry in dir and decodes what it printed.
func outputJSON(t *testing.T, dir string, args ...string) any {
	t.Helper()
	r := mustIn(t, dir, args...)
	var v any
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("%v\n%s", err, r)
	}
	return v
}

// normalizeNumbers makes YAML's integers JSON's float64s.
func normalizeNumbers(v any) any {
	data, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(data, &out)
	return out
}

// fieldPaths lists every field of a decoded JSON document as a path
// (runs[].id), sorted and without repeats.
func fieldPaths(v any) []string {
	seen := map[string]bool{}
	var walk func(v any, prefix string)
	walk = func(v any, prefix string) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				seen[p] = true
				walk(e, p)
			}
		case []any:
			for _, e := range v {
				walk(e, prefix+"[]")
			}
		}
	}
	walk(v, "")
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// golden compares got with the file at path, or writes it with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to write it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs (run with -update if the change is meant):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// replaceIn replaces old, which must be there, by new in the file at path.
func replaceIn(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(data), old) {
		t.Fatalf("%s does not hold %q (%v)", path, old, err)
	}
	writeFile(t, path, strings.Replace(string(data), old, new, 1))
}

// The show and status commands of single things — a dead letter, an
// alert, a backfill — and the workers list print the API's document as
// well: -o json what GET answers, -o yaml the same, the fields golden.
func TestOutputFormatsOfOneThing(t *testing.T) {
	t.Parallel()
	dir, _ := project(t, filepath.Join("pipelines", "flaky.yaml"), `pipeline: flaky
owner: data
schedule: {cron: "0 * * * *"}
tasks:
  - id: boom
    timeout: 60s
    run: exit 3
alerts: {route: oncall}
`)
	const hookSecret = "whsec-output-1"
	hsrv := httptest.NewServer(&hookReceiver{t: t, secret: hookSecret})
	defer hsrv.Close()
	writeFile(t, filepath.Join(dir, "gantry.yaml"), `project: onething
alerts:
  group_wait: 1s
  channels:
    pager: {type: webhook, url: "`+hsrv.URL+`", secret: hook_key}
  routes:
    oncall: {channels: [pager], on: [failure, dead_letter]}
`)
	s := serve(t, dir, []string{"GANTRY_SECRET_HOOK_KEY=" + hookSecret})
	token := s.adminToken()
	r := mustIn(t, dir, "backfill", "flaky", "--from", "2026-11-01T00:00", "--to", "2026-11-01T02:00", "--detach")
	var backfill int64
	if _, err := fmt.Sscanf(r.stdout, "backfill %d:", &backfill); err != nil {
		t.Fatalf("no backfill id in %q", r.stdout)
	}
	var dead, alert int64
	waitFor(t, 60*time.Second, "a dead letter and a firing alert", func() bool {
		var dl struct {
			DeadLetters []struct{ ID int64 } `json:"dead_letters"`
		}
		var al struct {
			Alerts []struct {
				ID   int64
				Name string
			} `json:"alerts"`
		}
		s.getJSON("/api/v1/dead-letters", token, &dl)
		s.getJSON("/api/v1/alerts", token, &al)
		// The run's failure (DeadLettersPending has other annotations).
		i := slices.IndexFunc(al.Alerts, func(a struct {
			ID   int64
			Name string
		}) bool {
			return a.Name == "RunFailed"
		})
		if len(dl.DeadLetters) == 0 || i < 0 {
			return false
		}
		dead, alert = dl.DeadLetters[0].ID, al.Alerts[i].ID
		// Its delivery is recorded too, so that the document has all its
		// fields.
		var one struct{ Deliveries []any }
		s.getJSON("/api/v1/alerts/"+strconv.FormatInt(alert, 10), token, &one)
		return len(one.Deliveries) > 0
	})
	cases := []struct {
		name string
		args []string
		api  string
		// live is whether the document changes from second to second
		// (a heartbeat's age): then only its fields are compared.
		live bool
	}{
		{"dlq_show", []string{"dlq", "show", strconv.FormatInt(dead, 10)}, "/api/v1/dead-letters/" + strconv.FormatInt(dead, 10), false},
		{"alerts_show", []string{"alerts", "show", strconv.FormatInt(alert, 10)}, "/api/v1/alerts/" + strconv.FormatInt(alert, 10), false},
		{"backfill_status", []string{"backfill", "status", strconv.FormatInt(backfill, 10)}, "/api/v1/backfills/" + strconv.FormatInt(backfill, 10), false},
		{"workers", []string{"workers"}, "/api/v1/workers", true},
	}
	for _, tc := range cases {
		var got, want any
		waitFor(t, 30*time.Second, tc.name+" -o json to be what GET "+tc.api+" answers", func() bool {
			got = outputJSON(t, dir, append(tc.args, "-o", "json")...)
			want = nil
			if code := s.getJSON(tc.api, token, &want); code != 200 {
				t.Fatalf("GET %s: %d", tc.api, code)
			}
			if tc.live {
				return slices.Equal(fieldPaths(got), fieldPaths(want))
			}
			return reflect.DeepEqual(got, want)
		})
		y := mustIn(t, dir, append(tc.args, "-o", "yaml")...)
		var fromYAML any
		if err := yaml.Unmarshal([]byte(y.stdout), &fromYAML); err != nil {
			t.Fatalf("%s -o yaml: %v\n%s", tc.name, err, y.stdout)
		}
		if g := normalizeNumbers(fromYAML); tc.live && !slices.Equal(fieldPaths(g), fieldPaths(got)) || !tc.live && !reflect.DeepEqual(g, got) {
			t.Errorf("%s: -o yaml is not the -o json document:\n%s", tc.name, y.stdout)
		}
		golden(t, filepath.Join("testdata", "output", tc.name+".fields"), strings.Join(fieldPaths(got), "\n")+"\n")
		if r := gantry(t, dir, append(tc.args, "-o", "toml")...); r.code != 2 || !strings.Contains(r.stderr, `want table, json or yaml`) {
			t.Errorf("%s -o toml: %v", tc.name, r)
		}
	}
}
