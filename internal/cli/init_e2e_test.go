package cli_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// snapshot is every file and folder under dir with its content and mode,
// so a test can tell that a command changed nothing.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		entry := fi.Mode().String()
		if fi.Mode().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			entry += " " + string(b)
		}
		out[filepath.ToSlash(rel)] = entry
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkReport is the part of gantry check --format json the test reads.
type checkReport struct {
	Findings []struct {
		Rule, Severity, File, Message string
	} `json:"findings"`
	Summary struct {
		Passed bool `json:"passed"`
		Errors int  `json:"errors"`
	} `json:"summary"`
}

// TestInitCheckRun is a new user's first minutes: gantry init into an
// empty folder, then validate, check --env prod and run, all as generated
// with no secret set and no network; then init again, refused.
func TestInitCheckRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		template string
		tasks    []string
		made     string // a file the run writes where the template says
	}{
		{"data", []string{"extract", "transform", "load"}, ".gantry/data/warehouse/orders/_last_loaded"},
		{"delivery", []string{"lint", "test", "build", "deploy_staging", "deploy_prod"}, ".gantry/deploy/prod/CURRENT"},
	} {
		t.Run(tc.template, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			r := gantry(t, dir, "init", "--template", tc.template, "--name", "orders", "--owner", "data-platform")
			wantCode(t, r, 0)
			wantContains(t, "init output", r.stdout, "gantry.yaml", "pipelines/orders.yaml", "runbooks/orders.md", ".gitignore",
				"gantry check --env prod", "gantry run pipelines/orders.yaml")

			wantCode(t, gantry(t, dir, "validate"), 0)

			r = gantry(t, dir, "check", "--env", "prod", "--format", "json")
			wantCode(t, r, 0)
			var rep checkReport
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("check --format json: %v\n%s", err, r)
			}
			if !rep.Summary.Passed || rep.Summary.Errors != 0 || len(rep.Findings) != 0 {
				t.Errorf("check --env prod on the generated project: %+v", rep)
			}
			// The text form too, as a user reads it; the runbook's commands
			// are checked against the real command tree here.
			r = gantry(t, dir, "check", "--env", "prod")
			wantCode(t, r, 0)
			wantContains(t, "check output", r.stdout, "ok: 0 errors, 0 warnings")

			r = gantry(t, dir, "run", "pipelines/orders.yaml")
			wantCode(t, r, 0)
			want := map[string]string{}
			for _, task := range tc.tasks {
				want[task] = "succeeded"
			}
			wantSummary(t, r, want)
			if _, err := os.Stat(filepath.Join(dir, tc.made)); err != nil {
				t.Errorf("the run did not write %s: %v", tc.made, err)
			}

			// Init again: refused, naming the files, changing nothing.
			before := snapshot(t, dir)
			r = gantry(t, dir, "init", "--template", tc.template, "--name", "orders", "--owner", "someone-else")
			wantCode(t, r, 4)
			wantContains(t, "refusal", r.stderr, "refusing to overwrite", "gantry.yaml", "pipelines/orders.yaml",
				"runbooks/orders.md", ".gitignore", "nothing was written")
			if after := snapshot(t, dir); !maps.Equal(before, after) {
				t.Errorf("a refused init changed the folder")
			}
		})
	}
}

// TestInitDefaults: without flags the name comes from the folder, made to
// fit, and DIR is made when missing.
func TestInitDefaults(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	r := gantry(t, parent, "init", "My Shop.v2")
	wantCode(t, r, 0)
	dir := filepath.Join(parent, "My Shop.v2")
	wantContains(t, "init output", r.stdout, `made data project "my-shop-v2"`, "cd 'My Shop.v2'")
	if _, err := os.Stat(filepath.Join(dir, "pipelines", "my-shop-v2.yaml")); err != nil {
		t.Fatalf("no pipeline named after the folder: %v\n%s", err, r)
	}
	r = gantry(t, dir, "check", "--env", "prod")
	wantCode(t, r, 0)
}

// TestInitBadInput: a bad name, template or owner exits 2, says what and
// where, and writes nothing.
func TestInitBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"bad name", []string{"--name", "Orders.Daily"}, `invalid project name "Orders.Daily": use lowercase letters`},
		{"unknown template", []string{"--template", "etl"}, `unknown template "etl": want one of data, delivery`},
		{"owner on two lines", []string{"--owner", "a\nb"}, "invalid owner"},
		{"two folders", []string{"b"}, "accepts at most 1 arg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			r := gantry(t, parent, append([]string{"init", "p"}, tc.args...)...)
			wantCode(t, r, 2)
			wantContains(t, "stderr", r.stderr, tc.want)
			if _, err := os.Stat(filepath.Join(parent, "p")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("init made the folder although its input was bad")
			}
		})
	}
	// A file where the folder should be.
	parent := t.TempDir()
	writeFile(t, filepath.Join(parent, "p"), "mine\n")
	r := gantry(t, parent, "init", "p")
	wantCode(t, r, 2)
	wantContains(t, "stderr", r.stderr, "p is a file")
	if got := slices.Sorted(maps.Keys(snapshot(t, parent))); !slices.Equal(got, []string{".", "p"}) {
		t.Errorf("folder holds %v after a refused init", got)
	}
	if b, _ := os.ReadFile(filepath.Join(parent, "p")); !strings.Contains(string(b), "mine") {
		t.Errorf("init changed the file in its way")
	}
}
