package cli_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/api"
)

const envsPipeline = `pipeline: orders
owner: data
params: {flag: /nonexistent}
defaults:
  retries: {attempts: 2, backoff: constant, initial: 10ms}
  timeout: 1m
  resources: {memory: 64Mi, cpu: "100m"}
concurrency: {parallelism: 1}
timeout: 5m
alerts: {route: oncall}
runbook: runbooks/orders.md
tasks:
  - id: load
    run: ./scripts/load.sh "{{ .Params.flag }}"
`

// loadScript reports which revision's files ran (version) and fails
// while the file its environment names exists.
func loadScript(version int) string {
	return fmt.Sprintf("#!/bin/sh\nset -eu\necho version=%d >> \"$GANTRY_OUTPUT\"\nif [ -e \"$1\" ]; then echo \"told to fail by $1\" >&2; exit 1; fi\n", version)
}

// One server runs live (a production environment in all but name: the
// gate's approval and test-fire rules, tested elsewhere, stay out of the
// way) and the staging runs of its deploys. Their runs,
// dead letters, alerts and metrics are kept apart by environment, through
// the server and on the local store; a dead-letter replay runs the
// revision its run was pinned to, and one whose revision was rolled back
// since is refused until --force.
func TestEnvironmentsKeptApartEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	flags := t.TempDir()
	liveFail, stagingFail := filepath.Join(flags, "live-fail"), filepath.Join(flags, "staging-fail")
	writeFile(t, filepath.Join(dir, "gantry.yaml"), `project: envs
environments:
  staging:
    staging: true
    params: {flag: `+stagingFail+`}
  live:
    params: {flag: `+liveFail+`}
alerts:
  group_wait: 1s
  channels:
    am: {type: alertmanager, url: "http://127.0.0.1:9/"}
  routes:
    oncall: {channels: [am]}
`)
	writeFile(t, filepath.Join(dir, "runbooks", "orders.md"), testRunbook("orders",
		"load fails", "gantry logs RUN_ID load", "gantry dlq replay DLQ_ID",
		"timeout", "gantry runs show RUN_ID", "gantry dlq replay DLQ_ID",
		"wrong rows", "gantry logs RUN_ID load", "gantry rollback orders --env live --reason wrong-rows"))
	writeFile(t, filepath.Join(dir, "pipelines", "orders.yaml"), envsPipeline)
	script := filepath.Join(dir, "scripts", "load.sh")
	writeFile(t, script, loadScript(1))
	if err := os.Chmod(script, 0o755); err != nil {
		t.Fatal(err)
	}
	touch := func(p string) { writeFile(t, p, "") }
	rm := func(p string) {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}

	s := serve(t, dir, nil, "--env", "live")
	admin := s.adminToken()

	// Revision A through staging to live; two good live runs.
	s.must("deploy", "orders", "--env", "staging", "--wait")
	s.must("promote", "orders", "--from", "staging", "--to", "live")
	s.must("trigger", "orders")
	a := s.waitRun(admin, "manual", 1)
	s.must("trigger", "orders")
	if r := s.waitRun(admin, "manual", 2); a.State != "succeeded" || r.State != "succeeded" || a.Env != "live" {
		t.Fatalf("live runs on A: %+v, %+v", a, r)
	}
	revA := a.Revision

	// A live run on A fails: dead letter 1.
	touch(liveFail)
	s.must("trigger", "orders")
	if r := s.waitRun(admin, "manual", 3); r.State != "failed" || r.Revision != revA {
		t.Fatalf("third live run: %+v", r)
	}
	onA := s.waitRun(admin, "manual", 3)

	// Revision B (version 2) through staging to live: A is superseded.
	writeFile(t, script, loadScript(2))
	s.must("deploy", "orders", "--env", "staging", "--wait")
	s.must("promote", "orders", "--from", "staging", "--to", "live")

	// The replay runs A's files, where the run was pinned, not B's.
	rm(liveFail)
	r := s.must("dlq", "replay", "1")
	wantContains(t, "replay on a superseded revision", r.stdout,
		fmt.Sprintf("replaying run %d (orders) on revision %s (pinned, live)", onA.ID, revA[:12]))
	waitFor(t, 60*time.Second, "the replayed run to succeed", func() bool {
		var v api.RunView
		s.getJSON(fmt.Sprintf("/api/v1/runs/%d", onA.ID), admin, &v)
		return v.State == "succeeded"
	})
	if got := s.output(admin, onA.ID, "load", "version"); got != "1" {
		t.Errorf("the replay ran version %q, want revision A's 1 (B, version 2, is active)", got)
	}

	// B's first live run fails (dead letter 2); a staging run of C fails
	// (dead letter 3); then B is rolled back.
	touch(liveFail)
	s.must("trigger", "orders")
	onB := s.waitRun(admin, "manual", 4)
	if onB.State != "failed" || onB.Revision == revA {
		t.Fatalf("fourth live run: %+v", onB)
	}
	writeFile(t, script, loadScript(3))
	touch(stagingFail)
	s.gantry("deploy", "orders", "--env", "staging", "--wait") // its staging run fails
	if st := s.waitRun(admin, "staging_test", 3); st.State != "failed" || st.Env != "staging" {
		t.Fatalf("third staging run: %+v", st)
	}
	s.must("rollback", "orders", "--env", "live", "--reason", "B loads the wrong rows")
	rm(liveFail)

	// Replaying B's dead run is refused: B was rolled back in live.
	r = s.gantry("dlq", "replay", "2")
	wantCode(t, r, 4)
	wantContains(t, "replay of a rolled-back revision", r.stderr,
		"revision "+onB.Revision[:12], "rolled back in live", "B loads the wrong rows", "--force")
	var still api.RunView
	s.getJSON(fmt.Sprintf("/api/v1/runs/%d", onB.ID), admin, &still)
	if still.State != "failed" {
		t.Errorf("a refused replay changed run %d to %s", onB.ID, still.State)
	}
	r = s.must("dlq", "replay", "2", "--force")
	wantContains(t, "forced replay", r.stdout,
		fmt.Sprintf("replaying run %d (orders) on revision %s (pinned, live)", onB.ID, onB.Revision[:12]))
	waitFor(t, 60*time.Second, "the forced replay to succeed", func() bool {
		var v api.RunView
		s.getJSON(fmt.Sprintf("/api/v1/runs/%d", onB.ID), admin, &v)
		return v.State == "succeeded"
	})
	if got := s.output(admin, onB.ID, "load", "version"); got != "2" {
		t.Errorf("the forced replay ran version %q, want B's 2", got)
	}

	// Every run, by environment, from the API.
	var all api.RunList
	s.getJSON("/api/v1/runs?limit=100", admin, &all)
	want := map[string][]string{}
	for _, run := range all.Runs {
		want[run.Env] = append(want[run.Env], strconv.FormatInt(run.ID, 10))
	}
	if len(want["live"]) != 4 || len(want["staging"]) != 3 || len(want) != 2 {
		t.Fatalf("runs by env %v, want 4 in live and 3 in staging", want)
	}

	// runs, dlq list and alerts list --env, through the server and, for
	// runs and dead letters, on the local store.
	local := func(args ...string) result {
		t.Helper()
		r := gantryEnv(t, dir, []string{"GANTRY_TOKEN=" + admin}, append(args, "--project", dir)...)
		wantCode(t, r, 0)
		return r
	}
	for _, env := range []string{"live", "staging"} {
		for where, r := range map[string]result{
			"server": s.must("runs", "--env", env, "--limit", "100"),
			"local":  local("runs", "--env", env, "--limit", "100"),
		} {
			if got := firstColumn(r.stdout, "RUN"); strings.Join(got, ",") != strings.Join(want[env], ",") {
				t.Errorf("runs --env %s (%s) lists %v, want %v\n%s", env, where, got, want[env], r.stdout)
			}
		}
	}
	if got := firstColumn(local("runs", "--env", "qa").stdout, "RUN"); len(got) != 0 {
		t.Errorf("runs --env qa lists %v", got)
	}
	wantDLQ := map[string][]string{"live": {"2", "1"}, "staging": {"3"}}
	for env, ids := range wantDLQ {
		for where, r := range map[string]result{
			"server": s.must("dlq", "list", "--all", "--env", env),
			"local":  local("dlq", "list", "--all", "--env", env),
		} {
			if got := firstColumn(r.stdout, "ID"); strings.Join(got, ",") != strings.Join(ids, ",") {
				t.Errorf("dlq list --env %s (%s) lists %v, want %v\n%s", env, where, got, ids, r.stdout)
			}
		}
	}
	// Not yet replayed: only staging's.
	if got := firstColumn(s.must("dlq", "list", "--env", "live").stdout, "ID"); len(got) != 0 {
		t.Errorf("dlq list --env live shows %v after both were replayed", got)
	}

	waitFor(t, 60*time.Second, "live's RunFailed alert", func() bool {
		return strings.Contains(s.must("alerts", "list", "--state", "all", "--env", "live").stdout, "RunFailed")
	})
	for _, env := range []string{"live", "staging"} {
		out := s.must("alerts", "list", "--state", "all", "--env", env).stdout
		for _, l := range lines(out)[1:] {
			if f := strings.Fields(l); len(f) > 4 && f[4] != env {
				t.Errorf("alerts list --env %s shows an alert of %s: %s", env, f[4], l)
			}
		}
	}
	r = s.gantry("alerts", "list", "--env", "")
	wantCode(t, r, 2)

	// The metrics keep them apart too: live's 2 good runs, the failure
	// on A replayed to success, B's failure forced to success; staging's
	// 2 good runs and C's failure.
	body := scrapeMetrics(t, s.url)
	for series, want := range map[string]float64{
		`gantry_runs_total{env="live",pipeline="orders",state="succeeded"}`:    4,
		`gantry_runs_total{env="live",pipeline="orders",state="failed"}`:       2,
		`gantry_runs_total{env="staging",pipeline="orders",state="succeeded"}`: 2,
		`gantry_runs_total{env="staging",pipeline="orders",state="failed"}`:    1,
	} {
		if got, ok := body[series]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	for series := range body {
		if strings.HasPrefix(series, "gantry_runs_total{") && !strings.Contains(series, `env="live"`) && !strings.Contains(series, `env="staging"`) {
			t.Errorf("a run series without its environment: %s", series)
		}
	}
	if _, ok := body[`gantry_last_success_interval_end_timestamp_seconds{env="staging",pipeline="orders"}`]; !ok {
		t.Errorf("no staging freshness series")
	}
	if _, ok := body[`gantry_last_success_interval_end_timestamp_seconds{env="live",pipeline="orders"}`]; !ok {
		t.Errorf("no live freshness series")
	}
}

// firstColumn is the first field of each line of a table printed under a
// header starting with head.
func firstColumn(out, head string) []string {
	var col []string
	in := false
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) == 0:
		case f[0] == head:
			in = true
		case in:
			col = append(col, f[0])
		}
	}
	return col
}

var sampleLine = regexp.MustCompile(`^(\S+\{[^}]*\}|\S+) (\S+)$`)

// scrapeMetrics reads a server's /metrics into series → value.
func scrapeMetrics(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("/metrics: %d %s", resp.StatusCode, b)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		m := sampleLine.FindStringSubmatch(sc.Text())
		if m == nil || strings.HasPrefix(m[1], "#") {
			continue
		}
		v, err := strconv.ParseFloat(m[2], 64)
		if err == nil {
			out[m[1]] = v
		}
	}
	return out
}
