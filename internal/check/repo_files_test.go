package check_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/check"
)

// Secrets planted in tests, put together at run time so that no scanner
// finds them in this file.
var (
	plantedPassword = "Xq9" + "vLp27" + "mTw4Rk"
	plantedAWS      = "AKIA" + "QWERTYUIOP" + "ZXCVBN"
)

// git runs git in dir with a fixed identity, failing the test on error.
func git(t *testing.T, dir string, args ...string) string {
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

func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// repoSecrets are files of a team's repository that the gate scanned
// no part of before it scanned every text file, each with a secret on
// line 2 or later.
var repoSecrets = map[string]string{
	"services/api/.github/workflows/deploy.yml": "on: push\njobs: {deploy: {runs-on: ubuntu-latest, env: {DEPLOY_PASSWORD: " + plantedPassword + "}}}\n",
	"ci/pipeline.yaml":                          "steps:\n  - env:\n      API_TOKEN: " + plantedPassword + "\n",
	".gitlab/ci/deploy.gitlab-ci.yml":           "deploy:\n  variables:\n    REGISTRY_PASSWORD: " + plantedPassword + "\n",
	"compose.yaml":                              "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: " + plantedPassword + "\n",
	"Makefile":                                  "push:\n\tdocker login -u ci -p " + plantedPassword + " registry.example.com\n",
	"k8s/secret.yaml":                           "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  password: " + plantedPassword + "\n",
	"k8s/deployment.yaml":                       "kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - env:\n            - {name: AWS_ACCESS_KEY_ID, value: " + plantedAWS + "}\n",
	"charts/api/values.yaml":                    "image: api\ndatabase:\n  password: " + plantedPassword + "\n",
	"infra/main.tf":                             "resource \"aws_db_instance\" \"db\" {\n  password = \"" + plantedPassword + "\"\n}\n",
	"app/settings.py":                           "DEBUG = False\nSECRET_KEY = \"" + plantedPassword + "\"\n",
	"app/config.json":                           "{\n  \"api_key\": \"" + plantedPassword + "\"\n}\n",
	"app/application.properties":                "server.port=8080\nspring.datasource.password=" + plantedPassword + "\n",
	"bin/release":                               "#!/bin/sh\nexport AWS_ACCESS_KEY_ID=" + plantedAWS + "\n",
	"web/config.js":                             "module.exports = {\n  token: \"" + plantedPassword + "\",\n};\n",
	"config.toml":                               "[db]\npassword = \"" + plantedPassword + "\"\n",
}

// TestCheckScansRepository checks a project in a sub-folder of a git
// repository: the gate finds a secret in every kind of file of the
// repository, names files outside the project folder with ../, leaves out
// what .gitignore excludes, and notes a binary file.
func TestCheckScansRepository(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	project := filepath.Join(root, "data")
	copyTree(t, filepath.Join("testdata", "base", "project"), project)
	writeFiles(t, root, repoSecrets)
	writeFiles(t, root, map[string]string{
		".gitignore":           "*.local\n",
		"app/dev.local":        "password: " + plantedPassword + "\n",
		"assets/logo.png":      "\x89PNG\r\n\x1a\n\x00\x00password: " + plantedPassword,
		"data/tools/export.py": "import os\npassword = \"" + plantedPassword + "\"\n",
	})
	git(t, root, "init", "-q")
	git(t, root, "add", "-A")

	rep := checkReal(t, project, check.Options{})
	var got []string
	for _, f := range rep.Findings {
		if f.Rule == check.RuleHardcodedSecret {
			got = append(got, f.File)
		}
		if strings.Contains(f.Message, plantedPassword) || strings.Contains(f.Message, plantedAWS) {
			t.Errorf("%s: the report shows the secret: %s", f.File, f.Message)
		}
	}
	for name := range repoSecrets {
		if !slices.Contains(got, "../"+name) {
			t.Errorf("no secret reported in %s; found in %v", name, got)
		}
	}
	if !slices.Contains(got, "tools/export.py") {
		t.Errorf("no secret reported in the project's tools/export.py; found in %v", got)
	}
	if slices.Contains(got, "../app/dev.local") || slices.Contains(rep.Files, "../app/dev.local") {
		t.Errorf("a file .gitignore excludes was scanned")
	}
	if !hasFinding(rep, check.RuleBinaryFile, "../assets/logo.png") {
		t.Errorf("no note on the binary ../assets/logo.png: %v", rep.Findings)
	}
	if !slices.Contains(rep.Files, "pipelines/orders.yaml") || !slices.Contains(rep.Files, "../ci/pipeline.yaml") {
		t.Errorf("files scanned: %v", rep.Files)
	}
	// ../ paths are valid SARIF uris (relative references) and Code
	// Quality paths.
	var sarif, cq bytes.Buffer
	if err := check.WriteSARIF(&sarif, rep); err != nil {
		t.Fatal(err)
	}
	validateSARIF(t, sarif.Bytes())
	if err := check.WriteCodeQuality(&cq, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"uri": "../ci/pipeline.yaml"`, `"path": "../ci/pipeline.yaml"`} {
		if !strings.Contains(sarif.String()+cq.String(), want) {
			t.Errorf("no %s in the SARIF and Code Quality reports", want)
		}
	}
}

// Outside a git repository the gate walks the project folder, skipping
// the folders of dependencies, and scans every text file it finds there.
func TestCheckWalksFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	copyTree(t, filepath.Join("testdata", "base", "project"), dir)
	writeFiles(t, dir, map[string]string{
		"Makefile":                      "push:\n\tdocker login -u ci -p " + plantedPassword + " registry.example.com\n",
		".venv/lib/site.py":             "password = \"" + plantedPassword + "\"\n",
		"node_modules/x/config.json":    "{\"api_key\": \"" + plantedPassword + "\"}\n",
		"deploy/helm/gantry/values.yml": "auth:\n  token: " + plantedPassword + "\n",
	})
	rep := checkReal(t, dir, check.Options{})
	for _, f := range []string{"Makefile", "deploy/helm/gantry/values.yml"} {
		if !hasFinding(rep, check.RuleHardcodedSecret, f) {
			t.Errorf("no secret reported in %s: %v", f, rep.Findings)
		}
	}
	for _, f := range rep.Files {
		if strings.HasPrefix(f, ".venv/") || strings.HasPrefix(f, "node_modules/") {
			t.Errorf("scanned %s in a folder the walk skips", f)
		}
	}
}

func checkReal(t *testing.T, dir string, opts check.Options) *check.Report {
	t.Helper()
	opts.Commands, opts.TestFires = fakeCommandLines, fakeTestFires
	if opts.Now == nil {
		opts.Now = func() time.Time { return today }
	}
	c, err := check.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := c.Check(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func hasFinding(rep *check.Report, rule, file string) bool {
	return slices.ContainsFunc(rep.Findings, func(f check.Finding) bool { return f.Rule == rule && f.File == file })
}
