package ci_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/ci"
	"github.com/gantryhq/gantry/internal/schematest"
	"github.com/gantryhq/gantry/internal/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The official schemas (draft-07), copied from /work/shared/schemas: GitLab's
// own .gitlab-ci.yml schema (see testdata/schemas/LICENSE.gitlab-ci-schema)
// and SchemaStore's GitHub workflow schema.
var schemaFile = map[string]string{
	"gitlab": "testdata/schemas/gitlab-ci.json",
	"github": "testdata/schemas/schemastore-github-workflow.json",
}

// decode reads YAML with YAML 1.2 semantics (GitHub's `on:` stays a key).
func decode(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	var v map[string]any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, doc)
	}
	return v
}

func validate(t *testing.T, target string, v any) error {
	t.Helper()
	return schematest.Validate(t, schemaFile[target], v)
}

type golden struct {
	name, target, example, dockerfile string
}

// goldens: both targets for both examples, and the delivery example with
// a Dockerfile, which adds the build stage.
var goldens = []golden{
	{"gitlab-data", "gitlab", "data", ""},
	{"gitlab-delivery", "gitlab", "delivery", ""},
	{"gitlab-delivery-dockerfile", "gitlab", "delivery", "examples/delivery/app/Dockerfile"},
	{"github-data", "github", "data", ""},
	{"github-delivery", "github", "delivery", ""},
	{"github-delivery-dockerfile", "github", "delivery", "examples/delivery/app/Dockerfile"},
}

func render(t *testing.T, g golden) []byte {
	t.Helper()
	proj, pipelines, err := spec.LoadProject(filepath.Join("..", "..", "examples", g.example))
	if err != nil {
		t.Fatal(err)
	}
	out, err := ci.Render(g.target, ci.Options{
		Dir: "examples/" + g.example, Project: proj, Pipelines: pipelines, Dockerfile: g.dockerfile,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, g := range goldens {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			got := render(t, g)
			if again := render(t, g); !bytes.Equal(got, again) {
				t.Fatal("two renders of the same project differ")
			}
			file := filepath.Join("testdata", g.name+".yml")
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the rendered file (go test -update to accept):\n%s", file, got)
			}
			if err := validate(t, g.target, decode(t, got)); err != nil {
				t.Errorf("%s does not match the official schema %s: %v", g.name, schemaFile[g.target], err)
			}
		})
	}
}

// TestSchemaRejects proves the schema check can fail: a GitLab job with an
// unknown `when:` and a GitHub job without runs-on are refused.
func TestSchemaRejects(t *testing.T) {
	t.Parallel()
	gl := decode(t, render(t, goldens[1]))
	job := gl["promote:ship_app"].(map[string]any)
	job["rules"].([]any)[0].(map[string]any)["when"] = "sometimes"
	if validate(t, "gitlab", gl) == nil {
		t.Error("the GitLab schema accepted when: sometimes")
	}
	gh := decode(t, render(t, goldens[4]))
	delete(gh["jobs"].(map[string]any)["promote"].(map[string]any), "runs-on")
	if validate(t, "github", gh) == nil {
		t.Error("the GitHub schema accepted a job without runs-on")
	}
}

// TestGitLabProductionIsManualAndProtected: every promote and rollback job
// runs only by hand, only on the default branch, in the production
// environment; staging deploys run by themselves on the default branch.
func TestGitLabProductionIsManualAndProtected(t *testing.T) {
	t.Parallel()
	for _, g := range goldens {
		if g.target != "gitlab" {
			continue
		}
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			doc := decode(t, render(t, g))
			var promotes, rollbacks int
			for name, v := range doc {
				job, ok := v.(map[string]any)
				if !ok || job["stage"] != "production" {
					continue
				}
				switch {
				case strings.HasPrefix(name, "promote:"):
					promotes++
					wantScript(t, name, job, "gantry promote ")
				case strings.HasPrefix(name, "rollback:"):
					rollbacks++
					wantScript(t, name, job, "gantry rollback ")
				default:
					t.Errorf("unexpected production job %s", name)
				}
				env, _ := job["environment"].(map[string]any)
				if env["name"] != "prod" || env["deployment_tier"] != "production" {
					t.Errorf("%s: environment %v, want prod with deployment_tier production", name, job["environment"])
				}
				rules, _ := job["rules"].([]any)
				if len(rules) != 1 {
					t.Fatalf("%s: rules %v, want one", name, job["rules"])
				}
				r := rules[0].(map[string]any)
				if r["when"] != "manual" || r["if"] != "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH" {
					t.Errorf("%s: rule %v, want when: manual on the default branch only", name, r)
				}
			}
			if promotes != 1 || rollbacks != 1 {
				t.Errorf("%d promote and %d rollback jobs, want one each", promotes, rollbacks)
			}
			staging := doc["deploy-staging"].(map[string]any)
			wantScript(t, "deploy-staging", staging, `gantry deploy --all --env "staging" --wait`)
			if r := staging["rules"].([]any)[0].(map[string]any); r["when"] != nil {
				t.Errorf("deploy-staging has when: %v; it should run by itself", r["when"])
			}
			check := doc["check"].(map[string]any)
			wantScript(t, "check", check, "--format codequality --output gl-code-quality-report.json")
			if rep := check["artifacts"].(map[string]any)["reports"].(map[string]any)["codequality"]; rep != "gl-code-quality-report.json" {
				t.Errorf("check's codequality report is %v", rep)
			}
			_, hasTest := doc["test"]
			if want := g.example == "delivery"; hasTest != want {
				t.Errorf("test job present: %v, want %v (gantry.yaml's test: {run:})", hasTest, want)
			}
			_, hasBuild := doc["build"]
			if want := g.dockerfile != ""; hasBuild != want {
				t.Errorf("build job present: %v, want %v", hasBuild, want)
			}
		})
	}
}

// TestGitHubProductionIsManualAndProtected: promote and rollback run only
// from a manual workflow_dispatch on the default branch, in the protected
// environment prod; a push deploys to staging only.
func TestGitHubProductionIsManualAndProtected(t *testing.T) {
	t.Parallel()
	for _, g := range goldens {
		if g.target != "github" {
			continue
		}
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			doc := decode(t, render(t, g))
			on := doc["on"].(map[string]any)
			if _, ok := on["workflow_dispatch"]; !ok {
				t.Fatal("no workflow_dispatch trigger: production cannot be run by hand")
			}
			jobs := doc["jobs"].(map[string]any)
			for name, action := range map[string]string{"promote": "promote", "rollback": "rollback"} {
				job := jobs[name].(map[string]any)
				if job["environment"] != "prod" {
					t.Errorf("%s: environment %v, want prod", name, job["environment"])
				}
				cond, _ := job["if"].(string)
				for _, want := range []string{"github.event_name == 'workflow_dispatch'", "inputs.action == '" + action + "'", "github.ref_name == github.event.repository.default_branch"} {
					if !strings.Contains(cond, want) {
						t.Errorf("%s: if %q lacks %q", name, cond, want)
					}
				}
				steps := job["steps"].([]any)
				last := steps[len(steps)-1].(map[string]any)["run"].(string)
				if !strings.HasPrefix(last, "gantry "+name+" \"$PIPELINE\"") {
					t.Errorf("%s: last step %q", name, last)
				}
			}
			staging := jobs["deploy-staging"].(map[string]any)
			if cond := staging["if"].(string); !strings.Contains(cond, "github.event_name == 'push'") {
				t.Errorf("deploy-staging runs on %q, want pushes only", cond)
			}
			needs := staging["needs"].([]any)
			for _, n := range needs {
				if _, ok := jobs[n.(string)]; !ok {
					t.Errorf("deploy-staging needs %v, which is not a job", n)
				}
			}
			if want := 2 + boolInt(g.example == "delivery") + boolInt(g.dockerfile != ""); len(needs) != want {
				t.Errorf("deploy-staging needs %v, want %d jobs", needs, want)
			}
			lint := jobs["lint"].(map[string]any)
			var uploads bool
			for _, s := range lint["steps"].([]any) {
				if s.(map[string]any)["uses"] == "github/codeql-action/upload-sarif@v3" {
					uploads = s.(map[string]any)["if"] == "always()"
				}
			}
			if !uploads {
				t.Error("lint does not upload the SARIF report whatever the check's outcome")
			}
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func wantScript(t *testing.T, name string, job map[string]any, want string) {
	t.Helper()
	for _, line := range job["script"].([]any) {
		if strings.Contains(line.(string), want) {
			return
		}
	}
	t.Errorf("%s: no script line contains %q: %v", name, want, job["script"])
}

// TestNoSecretInFile runs the gate, with the real secret scanner, over an
// example holding the generated file where the CI system reads it: it
// finds nothing there. The same file with a token pasted in is caught, so
// the test can fail.
func TestNoSecretInFile(t *testing.T) {
	t.Parallel()
	for _, g := range goldens {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			out := render(t, g)
			rel := ci.DefaultFile[g.target]
			if got := findingsIn(t, g.example, rel, out); len(got) != 0 {
				t.Errorf("gantry check finds in %s: %v", rel, got)
			}
			leaked := bytes.Replace(out, []byte("GANTRY_VERSION: \"latest\""),
				[]byte("GANTRY_VERSION: \"latest\"\n  GITHUB_TOKEN: \"ghp_R7x2Kq9LmW4vT8nB3cY6dF1hJ5pS0aZeUoXi\""), 1)
			if got := findingsIn(t, g.example, rel, leaked); len(got) == 0 {
				t.Error("the gate finds no secret in a file with a pasted token; the check above proves nothing")
			}
		})
	}
}

func findingsIn(t *testing.T, example, rel string, file []byte) []check.Finding {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "examples", example))); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, rel), file, 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := check.New(check.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := c.Check(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var in []check.Finding
	for _, f := range rep.Findings {
		if f.File == rel {
			in = append(in, f)
		}
	}
	if !contains(rep.Files, rel) {
		t.Fatalf("the gate did not scan %s (scanned %v)", rel, rep.Files)
	}
	return in
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	parse := func(src string) *spec.Project {
		p, err := spec.ParseProject("gantry.yaml", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	one := []*spec.Pipeline{{Name: "p"}}
	for _, tt := range []struct {
		name, target string
		o            ci.Options
		want         string
	}{
		{"unknown target", "jenkins", ci.Options{Project: parse("environments: {s: {staging: true}, p: {production: true}}"), Pipelines: one}, `unknown CI target "jenkins" (want github or gitlab)`},
		{"no gantry.yaml", "gitlab", ci.Options{Project: &spec.Project{}, Pipelines: one}, "the project has no gantry.yaml"},
		{"no staging", "gitlab", ci.Options{Project: parse("environments: {p: {production: true}}"), Pipelines: one}, "gantry.yaml: no environment has `staging: true`"},
		{"no production", "github", ci.Options{Project: parse("environments: {s: {staging: true}}"), Pipelines: one}, "gantry.yaml: no environment has `production: true`"},
		{"no pipeline", "github", ci.Options{Project: parse("environments: {s: {staging: true}, p: {production: true}}")}, "gantry.yaml: the project has no pipeline"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ci.Render(tt.target, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
			if tt.name == "unknown target" && !errors.Is(err, ci.ErrUnknownTarget) {
				t.Errorf("error %v is not ErrUnknownTarget", err)
			}
		})
	}
}
