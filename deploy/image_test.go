package deploy_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"

	"github.com/gantryhq/gantry/internal/check/secrets"
)

// dockerfile parses the repository's Dockerfile with BuildKit's own parser,
// as `docker build` does, into its stages.
func dockerfile(t *testing.T, src []byte) []instructions.Stage {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	return stages
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	stages := dockerfile(t, src)
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a runtime stage", len(stages))
	}
	build, runtime := stages[0], stages[len(stages)-1]

	// The build is static: CGO off, so the binary runs on any base.
	var built bool
	for _, c := range build.Commands {
		if r, ok := c.(*instructions.RunCommand); ok && strings.Contains(strings.Join(r.CmdLine, " "), "go build") {
			built = strings.Contains(strings.Join(r.CmdLine, " "), "CGO_ENABLED=0")
		}
	}
	if !built {
		t.Error("build stage: no `CGO_ENABLED=0 go build`")
	}

	var user, health string
	var volumes, copied []string
	labels := map[string]string{}
	for _, c := range runtime.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.HealthCheckCommand:
			health = strings.Join(c.Health.Test, " ")
		case *instructions.VolumeCommand:
			volumes = append(volumes, c.Volumes...)
		case *instructions.LabelCommand:
			for _, kv := range c.Labels {
				labels[kv.Key] = kv.Value
			}
		case *instructions.CopyCommand:
			copied = append(copied, c.From)
		case *instructions.AddCommand:
			t.Errorf("runtime stage: ADD %v (use COPY; ADD fetches URLs and unpacks archives)", c.SourcePaths)
		}
	}
	if name, _, _ := strings.Cut(user, ":"); name == "" || name == "0" || name == "root" {
		t.Errorf("runtime stage runs as %q, want a non-root user", user)
	}
	if !strings.Contains(health, "gantry health") {
		t.Errorf("HEALTHCHECK %q, want one that runs `gantry health`", health)
	}
	if !slices.Contains(volumes, "/project/.gantry") {
		t.Errorf("VOLUME %v, want the state folder /project/.gantry", volumes)
	}
	if !slices.Contains(copied, build.Name) {
		t.Errorf("runtime stage copies from %v, want the binary from stage %q", copied, build.Name)
	}
	for _, k := range []string{"title", "description", "version", "revision", "source", "licenses"} {
		if labels["org.opencontainers.image."+k] == "" {
			t.Errorf("no label org.opencontainers.image.%s (OCI image spec annotations)", k)
		}
	}
	for _, st := range stages {
		if strings.HasSuffix(st.BaseName, ":latest") || !strings.Contains(st.BaseName, ":") && !strings.HasPrefix(st.BaseName, "${") {
			t.Errorf("stage %q: base %q is not pinned to a tag", st.Name, st.BaseName)
		}
	}
}

// TestDockerfileNoSecrets runs the gate's secret scan over the Dockerfile,
// and, so that the test can fail, over a copy with a credential in it.
func TestDockerfileNoSecrets(t *testing.T) {
	t.Parallel()
	sc, err := secrets.New()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// Put together here, so that the repository's own secret scan does not find it.
	token := strings.Join([]string{"ghp", "4bX9kQ2mZr7TfW1nYc8LpD3sVh6JuE0aGi5o"}, "_")
	line := "ENV GITHUB_TOKEN=" + token + "\n"
	bad := append(bytes.Clone(src), line...)
	for name, data := range map[string][]byte{"Dockerfile": src, "bad.Dockerfile": bad} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	found, errs := sc.ScanFiles(context.Background(), dir, []string{"Dockerfile", "bad.Dockerfile"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var inBad bool
	for _, f := range found {
		if f.File == "Dockerfile" {
			t.Errorf("secret in the Dockerfile: %s", f)
		}
		inBad = inBad || f.File == "bad.Dockerfile"
	}
	if !inBad {
		t.Error("the scan missed the key planted in bad.Dockerfile")
	}
}
