package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ciRepo makes a repository (a folder with .git) holding the delivery
// example at examples/delivery, and returns its root.
func ciRepo(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "examples"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(copyExample(t, "delivery"), filepath.Join(root, "examples", "delivery")); err != nil {
		t.Fatal(err)
	}
	return root
}

func readGolden(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot, "internal", "ci", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestCIWritesWorkflow runs the real binary: gantry ci github --output
// writes the workflow for a project in a sub-folder of its repository,
// names the project from the repository's root, refuses to overwrite it
// without --force, and replaces it with --force.
func TestCIWritesWorkflow(t *testing.T) {
	t.Parallel()
	root := ciRepo(t)
	const out = ".github/workflows/gantry.yml"
	r := gantry(t, root, "ci", "github", "--project", "examples/delivery", "--output", out)
	wantCode(t, r, 0)
	wantContains(t, "stderr", r.stderr, "wrote "+out, "GANTRY_TOKEN")
	got, err := os.ReadFile(filepath.Join(root, out))
	if err != nil {
		t.Fatal(err)
	}
	if want := readGolden(t, "github-delivery.yml"); string(got) != want {
		t.Errorf("%s differs from internal/ci/testdata/github-delivery.yml:\n%s", out, got)
	}

	// An existing file is kept.
	writeFile(t, filepath.Join(root, out), "# my own workflow\n")
	r = gantry(t, root, "ci", "github", "--project", "examples/delivery", "--output", out)
	wantCode(t, r, 4)
	wantContains(t, "stderr", r.stderr, out+" exists; not overwriting it (pass --force to replace it)")
	if b, _ := os.ReadFile(filepath.Join(root, out)); string(b) != "# my own workflow\n" {
		t.Errorf("the refused run changed %s:\n%s", out, b)
	}

	// --force replaces it; a Dockerfile in the project adds the build job.
	writeFile(t, filepath.Join(root, "examples", "delivery", "Dockerfile"), "FROM scratch\nCOPY app /app\n")
	r = gantry(t, root, "ci", "github", "--project", "examples/delivery", "--output", out, "--force")
	wantCode(t, r, 0)
	b, _ := os.ReadFile(filepath.Join(root, out))
	wantContains(t, out, string(b), "\n  build:\n", `--file "examples/delivery/Dockerfile" "examples/delivery"`,
		"needs: [lint, test, staging-plan, build]")
}

// TestCIStdoutAndGate: with no --output the pipeline goes to stdout; a
// project at the repository's root with its generated workflow and
// pipeline in place passes the real gantry check, which finds nothing in
// either file.
func TestCIStdoutAndGate(t *testing.T) {
	t.Parallel()
	root := ciRepo(t)
	r := gantry(t, root, "ci", "gitlab", "--project", "examples/delivery")
	wantCode(t, r, 0)
	if want := readGolden(t, "gitlab-delivery.yml"); r.stdout != want {
		t.Errorf("stdout differs from internal/ci/testdata/gitlab-delivery.yml:\n%s", r.stdout)
	}

	dir := filepath.Join(root, "examples", "delivery")
	for _, target := range []string{"gitlab", "github"} {
		file := map[string]string{"gitlab": ".gitlab-ci.yml", "github": ".github/workflows/gantry.yml"}[target]
		r := gantry(t, dir, "ci", target, "--output", file)
		wantCode(t, r, 0)
		b, _ := os.ReadFile(filepath.Join(dir, file))
		wantContains(t, file, string(b), `GANTRY_PROJECT: "examples/delivery"`)
	}
	r = gantry(t, dir, "check", "--format", "json", ".")
	wantCode(t, r, 0)
	for _, file := range []string{".gitlab-ci.yml", ".github/workflows/gantry.yml"} {
		if !strings.Contains(r.stdout, `"`+file+`"`) {
			t.Errorf("gantry check did not scan %s:\n%s", file, r.stdout)
		}
		if strings.Contains(r.stdout, `"file": "`+file+`"`) {
			t.Errorf("gantry check finds something in %s:\n%s", file, r.stdout)
		}
	}
}

func TestCIBadInput(t *testing.T) {
	t.Parallel()
	root := ciRepo(t)
	r := gantry(t, root, "ci", "jenkins", "--project", "examples/delivery")
	wantCode(t, r, 2)
	wantContains(t, "stderr", r.stderr, `unknown CI target "jenkins" (want gitlab or github)`)
	r = gantry(t, root, "ci")
	wantCode(t, r, 2)
	r = gantry(t, root, "ci", "gitlab", "--project", "nowhere")
	wantCode(t, r, 2)
	wantContains(t, "stderr", r.stderr, "nowhere: no such file or directory")

	small := filepath.Join(root, "small")
	writeFile(t, filepath.Join(small, "pipelines", "p.yaml"), "pipeline: p\ntasks:\n  - id: a\n    run: \"true\"\n")
	writeFile(t, filepath.Join(small, "gantry.yaml"), "project: x\nenvironments:\n  prod: {production: true}\n")
	r = gantry(t, root, "ci", "gitlab", "--project", "small")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "small/gantry.yaml: no environment has `staging: true`: the CI deploys there first")

	gy := filepath.Join(root, "examples", "delivery", "gantry.yaml")

	writeFile(t, gy, "project: x\ntest: {run: ''}\n")
	r = gantry(t, root, "ci", "gitlab", "--project", "examples/delivery")
	wantCode(t, r, 1)
	wantContains(t, "stderr", r.stderr, "gantry.yaml:2:13: test.run: must not be empty")
	if r.stdout != "" {
		t.Errorf("a failed ci printed a configuration:\n%s", r.stdout)
	}
}
