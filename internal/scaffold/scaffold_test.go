package scaffold_test

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/scaffold"
	"github.com/gantryhq/gantry/internal/spec"
)

// wantFiles is what each template makes for the name "orders".
var wantFiles = map[string][]string{
	scaffold.TemplateData: {
		".gitignore", "gantry.yaml", "pipelines/orders.yaml", "runbooks/orders.md",
		"scripts/extract.sh", "scripts/load.sh", "scripts/transform.sh",
	},
	scaffold.TemplateDelivery: {
		".gitignore", "app/hello.sh", "app/hello_test.sh", "gantry.yaml",
		"pipelines/orders.yaml", "runbooks/orders.md", "scripts/build.sh",
		"scripts/deploy.sh", "scripts/lint.sh", "scripts/rollback.sh", "scripts/test.sh",
	},
}

// tree lists every file under dir, relative and slash-separated, with its
// content, so a test can tell that nothing changed.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[filepath.ToSlash(rel)+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

func TestWriteTemplates(t *testing.T) {
	t.Parallel()
	if got := scaffold.Templates(); !slices.Equal(got, []string{"data", "delivery"}) {
		t.Fatalf("Templates() = %v", got)
	}
	for _, tmpl := range scaffold.Templates() {
		t.Run(tmpl, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "new", "project")
			owner := `Data Platform: "night" # shift`
			files, err := scaffold.Write(dir, scaffold.Options{Template: tmpl, Name: "orders", Owner: owner})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(files, wantFiles[tmpl]) {
				t.Errorf("Write returned %v, want %v", files, wantFiles[tmpl])
			}
			var onDisk []string
			for rel := range tree(t, dir) {
				if !strings.HasSuffix(rel, "/") {
					onDisk = append(onDisk, rel)
				}
			}
			slices.Sort(onDisk)
			if !slices.Equal(onDisk, wantFiles[tmpl]) {
				t.Errorf("files on disk %v, want %v", onDisk, wantFiles[tmpl])
			}
			for _, rel := range files {
				b, _ := os.ReadFile(filepath.Join(dir, rel))
				if strings.Contains(string(b), "[%") || strings.Contains(string(b), "__name__") {
					t.Errorf("%s holds an unrendered placeholder", rel)
				}
				fi, err := os.Stat(filepath.Join(dir, rel))
				if err != nil {
					t.Fatal(err)
				}
				if exec := fi.Mode().Perm()&0o111 != 0; exec != strings.HasSuffix(rel, ".sh") {
					t.Errorf("%s: mode %v; want scripts, and only scripts, executable", rel, fi.Mode())
				}
			}
			project, pipelines, err := spec.LoadProject(dir)
			if err != nil {
				t.Fatalf("the generated project does not load: %v", err)
			}
			if project.Name != "orders" || len(pipelines) != 1 || pipelines[0].Name != "orders" {
				t.Fatalf("project %q with %d pipeline(s), want project and pipeline orders", project.Name, len(pipelines))
			}
			if pipelines[0].Owner != owner {
				t.Errorf("owner %q, want %q as given", pipelines[0].Owner, owner)
			}
			var envs []string
			for _, e := range project.Environments {
				envs = append(envs, e.Name)
			}
			if !slices.Equal(envs, []string{"dev", "staging", "prod"}) {
				t.Errorf("environments %v, want dev, staging, prod", envs)
			}
			gitignore, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
			if !slices.Contains(strings.Split(string(gitignore), "\n"), ".gantry/") {
				t.Errorf(".gitignore does not ignore .gantry/:\n%s", gitignore)
			}
			c, err := check.New(check.Options{Env: "prod"})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := c.Check(t.Context(), dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) != 0 {
				t.Errorf("check --env prod finds %d problem(s), want none: %+v", len(rep.Findings), rep.Findings)
			}
		})
	}
}

func TestWriteRefusesExistingFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for rel, content := range map[string]string{
		"gantry.yaml":         "project: mine\n",
		"scripts/load.sh":     "#!/bin/sh\necho mine\n",
		"runbooks":            "a file where a folder would go\n",
		"notes/unrelated.txt": "not ours, not in the way\n",
	} {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := tree(t, dir)
	files, err := scaffold.Write(dir, scaffold.Options{Template: scaffold.TemplateData, Name: "orders", Owner: "me"})
	var ee *scaffold.ExistsError
	if !errors.As(err, &ee) {
		t.Fatalf("Write = %v, %v; want an *ExistsError", files, err)
	}
	if want := []string{"gantry.yaml", "runbooks", "scripts/load.sh"}; !slices.Equal(ee.Files, want) {
		t.Errorf("refused files %v, want %v", ee.Files, want)
	}
	for _, s := range []string{"gantry.yaml", "runbooks", "scripts/load.sh", "nothing was written"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	if after := tree(t, dir); !maps.Equal(before, after) {
		t.Errorf("Write changed the folder although it refused:\nbefore %v\nafter  %v", keys(before), keys(after))
	}
}

func TestWriteRefusesALink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// A dangling link is still a file the user made: not ours to replace.
	if err := os.Symlink(filepath.Join(dir, "elsewhere"), filepath.Join(dir, ".gitignore")); err != nil {
		t.Fatal(err)
	}
	_, err := scaffold.Write(dir, scaffold.Options{Template: scaffold.TemplateDelivery, Name: "ship", Owner: "me"})
	var ee *scaffold.ExistsError
	if !errors.As(err, &ee) || !slices.Equal(ee.Files, []string{".gitignore"}) {
		t.Fatalf("Write = %v; want a refusal naming .gitignore", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "elsewhere")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Write wrote through the link: %v", err)
	}
	if got := keys(tree(t, dir)); !slices.Equal(got, []string{".gitignore"}) {
		t.Errorf("folder holds %v after the refusal, want only the link", got)
	}
}

func TestWriteBadOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		o    scaffold.Options
		want string
	}{
		{"uppercase name", scaffold.Options{Template: "data", Name: "Orders", Owner: "me"}, `invalid project name "Orders": use lowercase letters`},
		{"empty name", scaffold.Options{Template: "data", Name: "", Owner: "me"}, `invalid project name ""`},
		{"name with a dot", scaffold.Options{Template: "data", Name: "my.orders", Owner: "me"}, `invalid project name "my.orders"`},
		{"name starting with a dash", scaffold.Options{Template: "data", Name: "-orders", Owner: "me"}, `invalid project name "-orders"`},
		{"name with a slash", scaffold.Options{Template: "data", Name: "../x", Owner: "me"}, `invalid project name "../x"`},
		{"name too long", scaffold.Options{Template: "data", Name: strings.Repeat("a", 64), Owner: "me"}, "at most 63 characters"},
		{"unknown template", scaffold.Options{Template: "etl", Name: "orders", Owner: "me"}, `unknown template "etl": want one of data, delivery`},
		{"empty owner", scaffold.Options{Template: "data", Name: "orders", Owner: "  "}, "owner is empty"},
		{"owner on two lines", scaffold.Options{Template: "data", Name: "orders", Owner: "me\nyou"}, "invalid owner"},
		{"owner too long", scaffold.Options{Template: "data", Name: "orders", Owner: strings.Repeat("x", 101)}, "at most 100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "p")
			_, err := scaffold.Write(dir, tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Write = %v, want an error saying %q", err, tc.want)
			}
			if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Write made %s although the options were bad", dir)
			}
		})
	}
}

func TestDefaultName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ dir, want string }{
		{"/tmp/orders", "orders"},
		{"/tmp/My Orders.v2", "my-orders-v2"},
		{"/tmp/orders_daily/", "orders_daily"},
		{"/tmp/--x--", "x"},
		{"/tmp/日本", "pipeline"},
		{"/tmp/" + strings.Repeat("ab", 40), strings.Repeat("ab", 31) + "a"},
	} {
		got := scaffold.DefaultName(tc.dir)
		if got != tc.want {
			t.Errorf("DefaultName(%q) = %q, want %q", tc.dir, got, tc.want)
		}
		if err := spec.CheckName("project name", got); err != nil {
			t.Errorf("DefaultName(%q) = %q, which the spec rejects: %v", tc.dir, got, err)
		}
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
