package spec

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunbookPath checks that `runbook:` names a URL or a file inside the
// project, since the server shows the file to whoever views the pipeline.
func TestRunbookPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		runbook string
		wantErr string // "" when accepted
	}{
		{"runbooks/orders.md", ""},
		{"./runbooks/../RUNBOOK.md", ""},
		{"https://wiki.example.com/orders", ""},
		{"/etc/passwd", `pipelines/orders.yaml:3:10: runbook: "/etc/passwd" is outside the project (name a file in the project folder, such as runbooks/orders.md, or a URL)`},
		{"../secrets.md", `pipelines/orders.yaml:3:10: runbook: "../secrets.md" is outside the project`},
		{"runbooks/../../../etc/passwd", `pipelines/orders.yaml:3:10: runbook: "runbooks/../../../etc/passwd" is outside the project`},
		{"..", `pipelines/orders.yaml:3:10: runbook: ".." is outside the project`},
	}
	for _, tt := range tests {
		t.Run(tt.runbook, func(t *testing.T) {
			t.Parallel()
			src := "pipeline: orders\ntasks: [{id: t, run: x}]\nrunbook: " + tt.runbook + "\n"
			p, err := ParsePipeline("pipelines/orders.yaml", []byte(src))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if p.Runbook != tt.runbook {
					t.Errorf("Runbook = %q, want %q", p.Runbook, tt.runbook)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v\nwant    %s", err, tt.wantErr)
			}
		})
	}
}

// TestRunbookLink checks that a runbook that is a link is followed when
// the project is read from disk: a link inside the project is fine, one
// that leads out of it is refused where the pipeline names it.
func TestRunbookLink(t *testing.T) {
	t.Parallel()
	outside := filepath.Join(t.TempDir(), "passwd")
	if err := os.WriteFile(outside, []byte("root:x:0:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeTree(t, map[string]string{
		"runbooks/orders.md": "# Orders\n",
		"pipelines/in.yaml":  "pipeline: in\ntasks: [{id: t, run: x}]\nrunbook: runbooks/current.md\n",
		"pipelines/out.yaml": "pipeline: out\ntasks: [{id: t, run: x}]\nrunbook: runbooks/passwd.md\n",
		"pipelines/dir.yaml": "pipeline: dir\ntasks: [{id: t, run: x}]\nrunbook: shared/passwd\n",
	})
	for link, target := range map[string]string{
		"runbooks/current.md": "orders.md",
		"runbooks/passwd.md":  outside,
		"shared":              filepath.Dir(outside),
	} {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
			t.Fatal(err)
		}
	}
	_, ps, err := LoadProject(dir)
	realOutside, _ := filepath.EvalSymlinks(outside)
	want := filepath.Join(dir, "pipelines", "dir.yaml") + `:3:10: runbook: "shared/passwd" is outside the project: it resolves to ` + realOutside + " (" + runbookHint + ")\n" +
		filepath.Join(dir, "pipelines", "out.yaml") + `:3:10: runbook: "runbooks/passwd.md" is outside the project: it resolves to ` + realOutside + " (" + runbookHint + ")"
	if err == nil || err.Error() != want {
		t.Fatalf("LoadProject error = %v\nwant %s", err, want)
	}
	if len(ps) != 1 || ps[0].Name != "in" {
		t.Fatalf("pipelines loaded = %d, want only in", len(ps))
	}
	// The same bytes parsed alone (as from a deploy bundle, whose files
	// are never links) are checked only for their text.
	data, err := os.ReadFile(filepath.Join(dir, "pipelines", "out.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePipeline("pipelines/out.yaml", data); err != nil {
		t.Fatalf("ParsePipeline: %v", err)
	}
}

// TestProjectPath checks what the server relies on before it reads a
// runbook to show it.
func TestProjectPath(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	dir := writeTree(t, map[string]string{"runbooks/orders.md": "# Orders\n"})
	if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	realDir, _ := filepath.EvalSymlinks(dir)
	tests := []struct {
		rel     string
		want    string
		outside bool
	}{
		{rel: "runbooks/orders.md", want: filepath.Join(realDir, "runbooks", "orders.md")},
		{rel: "runbooks/missing.md", want: filepath.Join(dir, "runbooks", "missing.md")},
		{rel: "/etc/passwd", outside: true},
		{rel: "../x", outside: true},
		{rel: "out/x.md", want: filepath.Join(dir, "out", "x.md")}, // missing: opening it fails
		{rel: "out", outside: true},
	}
	for _, tt := range tests {
		got, err := ProjectPath(dir, tt.rel)
		if tt.outside {
			if !errors.Is(err, ErrOutsideProject) {
				t.Errorf("ProjectPath(%q) = %q, %v; want ErrOutsideProject", tt.rel, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ProjectPath(%q) = %q, %v; want %q", tt.rel, got, err, tt.want)
		}
	}
}
