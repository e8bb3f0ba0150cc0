package deploy_test

import (
	"bytes"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/gantryhq/gantry/internal/monitor/export"
	"github.com/gantryhq/gantry/internal/schematest"
	"github.com/gantryhq/gantry/internal/spec"
)

// tool is the path of a Debian tool a test runs; CI must have it.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found; CI must install it (Debian package %s)", name, pkg)
		}
		t.Skipf("%s not found; install the Debian package %s", name, pkg)
	}
	return p
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// copyDeploy copies this folder to a temporary one, so that a test can
// write the secrets a user generates without touching the checkout.
func copyDeploy(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "deploy")
	if err := os.CopyFS(dst, os.DirFS(".")); err != nil {
		t.Fatal(err)
	}
	return dst
}

// compose is what the tests read of compose.yaml.
type compose struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Volumes     []string          `yaml:"volumes"`
		Secrets     []any             `yaml:"secrets"`
	} `yaml:"services"`
	Secrets map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

// TestCompose checks deploy/compose.yaml with docker-compose itself (after
// generating the secrets as the README says), and what an operator relies
// on: no credential in it, every port on loopback, pinned images.
func TestCompose(t *testing.T) {
	t.Parallel()
	dir := copyDeploy(t)
	run(t, dir, "./secrets/generate")
	for _, f := range []string{"postgres_password", "pgpass", "grafana_admin_password"} {
		fi, err := os.Stat(filepath.Join(dir, "secrets", f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("secrets/%s is mode %v: readable by others", f, fi.Mode().Perm())
		}
	}
	dc := tool(t, "docker-compose", "docker-compose")
	config := exec.Command(dc, "-f", "compose.yaml", "config")
	config.Dir = dir
	// Without GANTRY_PROJECT compose refuses, saying what to set.
	config.Env = append(os.Environ(), "GANTRY_PROJECT=")
	if out, err := config.CombinedOutput(); err == nil || !strings.Contains(string(out), "set GANTRY_PROJECT") {
		t.Errorf("docker-compose config without GANTRY_PROJECT: %v\n%s", err, out)
	}
	config = exec.Command(dc, "-f", "compose.yaml", "config")
	config.Dir = dir
	config.Env = append(os.Environ(), "GANTRY_PROJECT="+t.TempDir())
	outb, err := config.CombinedOutput()
	if err != nil {
		t.Fatalf("docker-compose config: %v\n%s", err, outb)
	}
	out := string(outb)
	var resolved compose
	if err := yaml.Unmarshal([]byte(out), &resolved); err != nil {
		t.Fatalf("docker-compose config output: %v", err)
	}
	for _, s := range []string{"postgres", "gantry", "prometheus", "alertmanager", "grafana"} {
		if _, ok := resolved.Services[s]; !ok {
			t.Errorf("no service %s", s)
		}
	}

	src, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(src, &c); err != nil {
		t.Fatal(err)
	}
	g := c.Services["gantry"]
	u, err := url.Parse(g.Environment["GANTRY_STORE"])
	if err != nil || u.Scheme != "postgres" {
		t.Fatalf("gantry's GANTRY_STORE %q is not a postgres URL (%v)", g.Environment["GANTRY_STORE"], err)
	}
	if _, has := u.User.Password(); has {
		t.Error("GANTRY_STORE carries a password; it must come from the pgpass secret")
	}
	if g.Environment["PGPASSFILE"] == "" {
		t.Error("gantry has no PGPASSFILE: how does it log in?")
	}
	for name, s := range c.Services {
		for _, p := range s.Ports {
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("service %s publishes %q beyond loopback", name, p)
			}
		}
		if s.Image == "" || strings.HasSuffix(s.Image, ":latest") || !strings.Contains(s.Image, ":") {
			t.Errorf("service %s: image %q not pinned to a tag", name, s.Image)
		}
		for k, v := range s.Environment {
			if strings.Contains(strings.ToUpper(k), "PASSWORD") && !strings.HasSuffix(k, "_FILE") {
				t.Errorf("service %s: %s=%q: a password belongs in a secret file", name, k, v)
			}
		}
	}
	for name, s := range c.Secrets {
		if !strings.HasPrefix(s.File, "./secrets/") {
			t.Errorf("secret %s from %q, want a file under ./secrets/ (git-ignored)", name, s.File)
		}
	}
}

// TestMonitoringConfig checks Prometheus' and Alertmanager's files with
// their own tools and Alertmanager's against its published schema.
func TestMonitoringConfig(t *testing.T) {
	t.Parallel()
	promtool := tool(t, "promtool", "prometheus")
	run(t, ".", promtool, "check", "rules", "prometheus/rules/gantry.rules.yml")
	dir := copyDeploy(t)
	// promtool reads the rule files the config names, at their paths in
	// the container: point them at the copy.
	cfg, err := os.ReadFile(filepath.Join(dir, "prometheus", "prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg = bytes.ReplaceAll(cfg, []byte("/etc/prometheus/rules/"), []byte(filepath.Join(dir, "prometheus", "rules")+"/"))
	if err := os.WriteFile(filepath.Join(dir, "prometheus", "prometheus.yml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := run(t, dir, promtool, "check", "config", "prometheus/prometheus.yml"); !strings.Contains(out, "gantry.rules.yml") {
		t.Errorf("promtool check config did not load the rules:\n%s", out)
	}
	amtool := tool(t, "amtool", "prometheus-alertmanager")
	run(t, ".", amtool, "check-config", "alertmanager/alertmanager.yml")
	src, err := os.ReadFile("alertmanager/alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	if err := schematest.Validate(t, "testdata/schemas/schemastore-prometheus-alertmanager.json", doc); err != nil {
		t.Errorf("alertmanager.yml: %v", err)
	}
}

// TestExportedFilesCurrent fails when the rules or dashboard compose.yaml
// loads are not what `gantry export` writes for the bundled project today.
func TestExportedFilesCurrent(t *testing.T) {
	t.Parallel()
	_, pipelines, err := spec.LoadProject("../examples/data")
	if err != nil {
		t.Fatal(err)
	}
	for file, render := range map[string]func([]*spec.Pipeline) ([]byte, error){
		"prometheus/rules/gantry.rules.yml": export.PrometheusRules,
		"grafana/dashboards/gantry.json":    export.GrafanaDashboard,
	} {
		want, err := render(pipelines)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("deploy/%s is stale: regenerate it with gantry export --project examples/data --output deploy/%s", file, file)
		}
	}
}
