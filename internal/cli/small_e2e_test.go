package cli_test

import (
	"encoding/json"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const hourlyPipeline = `pipeline: hourly
schedule:
  cron: "0 * * * *"
  timezone: UTC
tasks:
  - id: tick
    timeout: 60s
    run: echo tick
`

const routedProject = `alerts:
  channels:
    pager:
      type: alertmanager
      url: http://127.0.0.1:9/
  routes:
    data-oncall:
      channels: [pager]
`

// The small things of issue 13's "One CLI" item 4, on the real binary.
func TestSmallCLIThings(t *testing.T) {
	t.Parallel()
	dir, _ := project(t, filepath.Join("pipelines", "hourly.yaml"), hourlyPipeline)
	writeFile(t, filepath.Join(dir, "pipelines", "hello.yaml"), helloPipeline)
	writeFile(t, filepath.Join(dir, "gantry.yaml"), routedProject)

	r := gantry(t, dir, "version")
	wantCode(t, r, 0)
	wantContains(t, "version", r.stdout, "gantry", runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	var b struct {
		Version   string `json:"version"`
		GoVersion string `json:"go_version"`
	}
	r = gantry(t, dir, "version", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &b); err != nil || b.GoVersion != runtime.Version() || b.Version == "" {
		t.Errorf("version -o json: %v\n%s", err, r)
	}

	r = gantry(t, dir, "runs", "--help")
	wantContains(t, "runs --help", r.stdout, "--token string")
	if strings.Contains(r.stdout, "--token gantry") {
		t.Errorf("--token's help names a value 'gantry serve':\n%s", r.stdout)
	}

	// Completion of pipeline and route names, from the project's files.
	r = gantry(t, dir, "__complete", "trigger", "h")
	wantContains(t, "completing trigger h", r.stdout, "hello\n", "hourly\n")
	r = gantry(t, dir, "__complete", "alerts", "test", "--route", "")
	wantContains(t, "completing --route", r.stdout, "data-oncall\n")

	s := serve(t, dir, nil)
	r = gantry(t, dir, "trigger", "hello")
	wantCode(t, r, 0)
	// ... and of run numbers, through the project's server.
	r = gantry(t, dir, "__complete", "logs", "")
	wantContains(t, "completing logs", r.stdout, "\thello ")

	r = gantry(t, dir, "trigger", "helo")
	wantCode(t, r, 3)
	wantContains(t, "trigger helo", r.stderr, `did you mean "hello"?`)
	r = gantry(t, dir, "pause", "hourli")
	wantCode(t, r, 3)
	wantContains(t, "pause hourli", r.stderr, `did you mean "hourly"?`)

	r = gantry(t, dir, "silence", "add", "--match", "pipeline=hello", "--duration", "-1h", "--reason", "r")
	wantCode(t, r, 2)
	wantContains(t, "silence --duration -1h", r.stderr, "must be positive")
	r = gantry(t, dir, "silence", "add", "--match", "pipeline=hello", "--reason", "r")
	wantCode(t, r, 2)
	wantContains(t, "silence without --duration", r.stderr, "--duration is required")

	r = gantry(t, dir, "backfill", "hourly", "--from", "2026-11-01", "--to", "2026-11-01", "--parallel", "0")
	wantCode(t, r, 2)
	wantContains(t, "backfill --parallel 0", r.stderr, "--parallel 0: want at least 1")

	r = gantry(t, dir, "backfill", "hourly", "--from", "2026-11-01T00:00", "--to", "2026-11-01T06:00", "--dry-run")
	wantCode(t, r, 0)
	if got := lines(r.stdout); len(got) != 3 || got[0] != "would create 6 run(s) of hourly, 1 at a time" ||
		strings.TrimSpace(got[1]) != "first [2026-11-01T00:00:00Z, 2026-11-01T01:00:00Z)" ||
		strings.TrimSpace(got[2]) != "last  [2026-11-01T05:00:00Z, 2026-11-01T06:00:00Z)" {
		t.Errorf("backfill --dry-run over timestamps:\n%s", r)
	}
	r = gantry(t, dir, "backfill", "hourly", "--from", "2026-11-01", "--to", "2026-11-02", "--dry-run")
	wantCode(t, r, 0)
	wantContains(t, "backfill --dry-run over days", r.stdout, "would create 48 run(s)", "last  [2026-11-02T23:00:00Z, 2026-11-03T00:00:00Z)")
	r = gantry(t, dir, "backfill", "hourly", "--from", "2026-11-01T06:00", "--to", "2026-11-01T00:00", "--dry-run")
	wantCode(t, r, 2)
	wantContains(t, "backfill with --to before --from", r.stderr, "does not end after from")
	s.stop()

	// Locally, an unknown pipeline gets its hint too.
	r = gantry(t, dir, "deploy", "helo", "--env", "staging", "--as", "a")
	wantContains(t, "deploy helo", r.stderr, `did you mean "hello"?`)
}
