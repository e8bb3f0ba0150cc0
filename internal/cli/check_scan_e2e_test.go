package cli_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// scanPassword is planted in the tests' files; it is put together at run
// time so that no scanner finds it in this file.
var scanPassword = "Xq9" + "vLp27" + "mTw4Rk"

// gitIn runs git in dir with a fixed identity and no user configuration.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com",
		"-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// scanFinding and scanReport are what these tests read of gantry check
// --format json.
type scanFinding struct {
	Rule, File, Severity, Message string
	Line, Column                  int
}

type scanReport struct {
	Findings []scanFinding
	Files    []string
}

func checkJSON(t *testing.T, dir string, args ...string) (result, scanReport) {
	t.Helper()
	r := gantry(t, dir, append([]string{"check", "--format", "json"}, args...)...)
	var rep scanReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not a JSON report: %v\n%s", err, r)
	}
	return r, rep
}

// teamRepo makes a git repository with the data example in data/ and
// returns its root.
func teamRepo(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.Rename(copyExample(t, "data"), filepath.Join(root, "data")); err != nil {
		t.Fatal(err)
	}
	gitIn(t, root, "init", "-q")
	return root
}

// TestCheckScansRepositoryE2E runs the real binary on a project in a
// sub-folder of a git repository: a secret in a workflow of another
// service's folder, or in a pipeline.yaml outside pipelines/, fails the
// gate, named from the project folder with ../ in text and SARIF.
func TestCheckScansRepositoryE2E(t *testing.T) {
	t.Parallel()
	root := teamRepo(t)
	writeFile(t, filepath.Join(root, "services", "api", ".github", "workflows", "deploy.yml"),
		"on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    env:\n      DEPLOY_PASSWORD: "+scanPassword+"\n")
	writeFile(t, filepath.Join(root, "ci", "pipeline.yaml"), "steps:\n  - env:\n      API_TOKEN: "+scanPassword+"\n")
	gitIn(t, root, "add", "-A")

	project := filepath.Join(root, "data")
	r := gantry(t, project, "check")
	wantCode(t, r, 1)
	wantContains(t, "stdout", r.stdout, "../services/api/.github/workflows/deploy.yml\n  6:24  error    hardcoded-secret",
		"../ci/pipeline.yaml\n  3:18  error    hardcoded-secret")
	if strings.Contains(r.stdout, scanPassword) {
		t.Errorf("the report shows the secret:\n%s", r)
	}
	r = gantry(t, project, "check", "--format", "sarif")
	wantCode(t, r, 1)
	wantContains(t, "SARIF", r.stdout, `"uri": "../services/api/.github/workflows/deploy.yml"`, `"uri": "../ci/pipeline.yaml"`)
}

// TestCheckHistoryE2E: a password committed and then removed passes the
// gate without --history and fails it with, naming the commit; a baseline
// entry with a reason and an expiry accepts it; --history outside a git
// repository and a missing --baseline are usage errors.
func TestCheckHistoryE2E(t *testing.T) {
	t.Parallel()
	root := teamRepo(t)
	gitIn(t, root, "add", "-A")
	gitIn(t, root, "commit", "-qm", "project")
	writeFile(t, filepath.Join(root, "config", "prod.env"), "HOST=db\nDB_PASSWORD="+scanPassword+"\n")
	gitIn(t, root, "add", "-A")
	gitIn(t, root, "commit", "-qm", "prod config")
	commit := strings.TrimSpace(gitIn(t, root, "rev-parse", "--short", "HEAD"))
	gitIn(t, root, "rm", "-q", "config/prod.env")
	gitIn(t, root, "commit", "-qm", "remove the password")
	project := filepath.Join(root, "data")

	r := gantry(t, project, "check")
	wantCode(t, r, 0)
	r = gantry(t, project, "check", "--history")
	wantCode(t, r, 1)
	wantContains(t, "stdout", r.stdout, "../config/prod.env\n  2:13  error    hardcoded-secret",
		"in history: commit "+commit)

	baseline := filepath.Join(root, "gantry-baseline.yaml")
	writeFile(t, baseline, `- rule: hardcoded-secret
  path: ../config/prod.env
  commit: `+commit+`
  reason: the staging password of 2024, rotated since
  expires: 2099-12-31
`)
	r = gantry(t, project, "check", "--history", "--baseline", baseline)
	wantCode(t, r, 0)
	wantContains(t, "stdout", r.stdout, "1 suppressed")

	r = gantry(t, project, "check", "--baseline", filepath.Join(root, "nope.yaml"))
	wantCode(t, r, 2)
	wantContains(t, "stderr", r.stderr, "--baseline")
	r = gantry(t, copyExample(t, "data"), "check", "--history")
	wantCode(t, r, 2)
	wantContains(t, "stderr", r.stderr, "--history", "no git repository")
}

// TestCheckPassesGantryDeployFiles is issue 18's compliance stage: a team
// repository holding Gantry's own deployment files (deploy/**: compose,
// Prometheus, Alertmanager, Grafana, the Helm chart once there, and the
// root Dockerfile) and the CI files gantry ci writes passes the wider
// secret scan with no finding, and a secret planted in each of those
// files is found where it was planted.
func TestCheckPassesGantryDeployFiles(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	if err := os.Rename(copyExample(t, "delivery"), filepath.Join(root, "app")); err != nil {
		t.Fatal(err)
	}
	out := gitIn(t, moduleRoot, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "deploy", "Dockerfile")
	var copied []string
	for _, f := range strings.Split(out, "\x00") {
		if f == "" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(moduleRoot, f))
		if err != nil {
			continue // deleted in the work tree
		}
		writeFile(t, filepath.Join(root, f), string(b))
		copied = append(copied, f)
	}
	for _, f := range []string{"Dockerfile", "deploy/compose.yaml", "deploy/prometheus/prometheus.yml", "deploy/alertmanager/alertmanager.yml"} {
		if !slices.Contains(copied, f) {
			t.Fatalf("the repository has no %s (copied %v)", f, copied)
		}
	}
	gitIn(t, root, "init", "-q")
	for _, c := range []struct{ provider, file string }{{"gitlab", ".gitlab-ci.yml"}, {"github", ".github/workflows/gantry.yml"}} {
		r := gantry(t, root, "ci", c.provider, "--project", "app", "--output", c.file)
		wantCode(t, r, 0)
	}
	gitIn(t, root, "add", "-A")

	app := filepath.Join(root, "app")
	r, rep := checkJSON(t, app)
	for _, f := range rep.Findings {
		if f.Rule == "hardcoded-secret" || f.Severity == "error" {
			t.Errorf("%s:%d:%d: %s: %s", f.File, f.Line, f.Column, f.Rule, f.Message)
		}
	}
	wantCode(t, r, 0)
	for _, f := range append(copied, ".gitlab-ci.yml", ".github/workflows/gantry.yml") {
		if !slices.Contains(rep.Files, "../"+f) && !strings.HasSuffix(f, ".go") {
			t.Errorf("the gate did not scan ../%s", f)
		}
	}

	// A secret in each kind of file is found on the line it was put on.
	planted := map[string]string{
		"Dockerfile":                           "ENV DB_PASSWORD=" + scanPassword,
		"deploy/compose.yaml":                  "x-planted:\n  POSTGRES_PASSWORD: " + scanPassword,
		"deploy/prometheus/prometheus.yml":     "x_planted:\n  password: " + scanPassword,
		"deploy/alertmanager/alertmanager.yml": "x_planted:\n  auth_password: " + scanPassword,
		"deploy/grafana/planted.json":          `{"admin_password": "` + scanPassword + `"}`,
		"deploy/helm/gantry/values.yaml":       "postgres:\n  password: " + scanPassword,
		".gitlab-ci.yml":                       "variables:\n  DEPLOY_TOKEN: " + scanPassword,
		".github/workflows/gantry.yml":         "env:\n  DEPLOY_TOKEN: " + scanPassword,
	}
	wantLine := map[string]int{}
	for f, text := range planted {
		p := filepath.Join(root, filepath.FromSlash(f))
		old, _ := os.ReadFile(p)
		body := string(old)
		if body != "" && !strings.HasSuffix(body, "\n") {
			body += "\n"
		}
		body += text + "\n"
		writeFile(t, p, body)
		wantLine[f] = strings.Count(body, "\n")
	}
	gitIn(t, root, "add", "-A")
	r, rep = checkJSON(t, app)
	wantCode(t, r, 1)
	for f, line := range wantLine {
		found := slices.ContainsFunc(rep.Findings, func(g scanFinding) bool {
			return g.Rule == "hardcoded-secret" && g.File == "../"+f && g.Line == line
		})
		if !found {
			t.Errorf("the secret planted in %s:%d is not found", f, line)
		}
	}
}
