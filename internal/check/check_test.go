package check_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata/<case>/want.*")

// today is the date suppression expiry is judged against in tests.
var today = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// fakeSecret is what the fake scanner reports as a secret.
var fakeSecret = regexp.MustCompile(`FAKESECRET_[A-Za-z0-9]+`)

// fakeScanner finds fakeSecret tokens, so golden reports do not depend
// on the real scanner's rules.
func fakeScanner(_ context.Context, root string, rel []string) ([]check.SecretFinding, []error) {
	var found []check.SecretFinding
	var errs []error
	for _, r := range rel {
		data, err := os.ReadFile(filepath.Join(root, r))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for n := 1; sc.Scan(); n++ {
			for _, m := range fakeSecret.FindAllStringIndex(sc.Text(), -1) {
				found = append(found, check.SecretFinding{
					File: r, Line: n, Col: m[0] + 1, Rule: "fake-token", Desc: "Fake token",
					Masked: sc.Text()[m[0]:m[0]+4] + "****",
				})
			}
		}
	}
	return found, errs
}

// fakeCommands are the gantry commands the fake Commands knows: the
// role of each positional argument ("" for none) and its flags, each
// with its role ("-" for one that takes no value).
var fakeCommands = map[string]struct {
	args  []string
	flags map[string]string
}{
	"validate": {}, "check": {flags: map[string]string{"env": "env"}},
	"runs":       {flags: map[string]string{"pipeline": "pipeline", "limit": "", "state": ""}},
	"runs show":  {args: []string{""}},
	"logs":       {args: []string{"", "task"}, flags: map[string]string{"attempt": ""}},
	"dlq list":   {flags: map[string]string{"pipeline": "pipeline"}},
	"dlq replay": {args: []string{""}, flags: map[string]string{"all": "-", "pipeline": "pipeline"}},
	"backfill":   {args: []string{"pipeline"}, flags: map[string]string{"from": "", "to": "", "dry-run": "-"}},
	"rollback":   {args: []string{"pipeline"}, flags: map[string]string{"env": "env", "reason": ""}},
}

// fakeCommandLines reads args against fakeCommands, as the CLI reads them
// against its command tree.
func fakeCommandLines(args []string) (check.CommandLine, error) {
	path := ""
	for i := len(args); i > 0; i-- {
		if _, ok := fakeCommands[strings.Join(args[:i], " ")]; ok {
			path, args = strings.Join(args[:i], " "), args[i:]
			break
		}
	}
	if path == "" {
		return check.CommandLine{}, errors.New("not a gantry command")
	}
	cmd := fakeCommands[path]
	line := check.CommandLine{Command: path}
	add := func(role, v string) {
		switch role {
		case "pipeline":
			line.Pipelines = append(line.Pipelines, v)
		case "task":
			line.Tasks = append(line.Tasks, v)
		case "env":
			line.Envs = append(line.Envs, v)
		}
	}
	n := 0
	for i := 0; i < len(args); i++ {
		if name, ok := strings.CutPrefix(args[i], "--"); ok {
			role, known := cmd.flags[name]
			if !known {
				return line, fmt.Errorf("no flag --%s", name)
			}
			if role != "-" && i+1 < len(args) {
				i++
				add(role, args[i])
			}
			continue
		}
		if n >= len(cmd.args) {
			return line, fmt.Errorf("too many arguments")
		}
		add(cmd.args[n], args[i])
		n++
	}
	return line, nil
}

func newChecker(t *testing.T, env string) *check.Checker {
	t.Helper()
	c, err := check.New(check.Options{
		Env:       env,
		Commands:  fakeCommandLines,
		Secrets:   check.SecretScannerFunc(fakeScanner),
		Now:       func() time.Time { return today },
		TestFires: fakeTestFires,
		Workers:   fakeWorkers,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fakeWorkers are the active registered workers the golden cases see: one
// in zone eu-1, one with a GPU in us-1.
func fakeWorkers() ([]map[string]string, bool) {
	return []map[string]string{{"zone": "eu-1"}, {"zone": "us-1", "gpu": "true"}}, true
}

// TestCheckGolden runs the gate over every testdata case. A case is the
// project testdata/base/project with the case's project/ folder laid over
// it (and the files listed in its delete file removed), so each case
// shows exactly what it changes. base passes every rule; the other cases
// are named after the rule they make fail or, ending in -ok, pass in a
// way base does not show. A case's env file sets --env.
func TestCheckGolden(t *testing.T) {
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			caseDir := filepath.Join("testdata", name)
			dir := t.TempDir()
			copyTree(t, filepath.Join("testdata", "base", "project"), dir)
			if overlay := filepath.Join(caseDir, "project"); name != "base" && exists(overlay) {
				copyTree(t, overlay, dir)
			}
			if data, err := os.ReadFile(filepath.Join(caseDir, "delete")); err == nil {
				for _, f := range strings.Fields(string(data)) {
					if err := os.Remove(filepath.Join(dir, f)); err != nil {
						t.Fatal(err)
					}
				}
			}
			env := ""
			if data, err := os.ReadFile(filepath.Join(caseDir, "env")); err == nil {
				env = strings.TrimSpace(string(data))
			}
			rep, err := newChecker(t, env).Check(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			var txt, js, sarif bytes.Buffer
			if err := check.WriteText(&txt, rep, false); err != nil {
				t.Fatal(err)
			}
			if err := check.WriteJSON(&js, rep); err != nil {
				t.Fatal(err)
			}
			if err := check.WriteSARIF(&sarif, rep); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join(caseDir, "want.txt"), txt.Bytes())
			golden(t, filepath.Join(caseDir, "want.json"), js.Bytes())
			golden(t, filepath.Join(caseDir, "want.sarif"), sarif.Bytes())
			validateSARIF(t, sarif.Bytes())
			for _, out := range [][]byte{txt.Bytes(), js.Bytes(), sarif.Bytes()} {
				if m := fakeSecret.Find(out); m != nil {
					t.Errorf("a report shows the secret %s", m)
				}
			}
			wantRule(t, name, rep)
		})
	}
}

// wantRule asserts that a case named after a rule raises it, and that
// base and -ok cases pass.
func wantRule(t *testing.T, name string, rep *check.Report) {
	t.Helper()
	if name == "base" || strings.HasSuffix(name, "-ok") {
		if !rep.Passed() {
			t.Errorf("case %s should pass the gate:\n%v", name, rep.Findings)
		}
		return
	}
	rule := name
	if i := strings.Index(name, "--"); i >= 0 {
		rule = name[:i] // task-retries--one: a second failing case
	}
	if _, ok := check.LookupRule(rule); !ok {
		t.Fatalf("case %s is named after no rule", name)
	}
	for _, f := range rep.Findings {
		if f.Rule == rule {
			return
		}
	}
	t.Errorf("case %s raised no %s finding:\n%v", name, rule, rep.Findings)
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// copyTree copies src over dst, keeping symbolic links as links.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			_ = os.Remove(to)
			return os.Symlink(target, to)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(to, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// TestRealScanner checks the built-in scanner is wired in and that a
// report never shows the secret.
func TestRealScanner(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	copyTree(t, filepath.Join("testdata", "base", "project"), dir)
	const secret = "Sup3rS3cretPw9x"
	env := "DATABASE_URL=postgres://app:" + secret + "@db:5432/app\nAPI_TOKEN=${API_TOKEN}\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	var progress []int
	c, err := check.New(check.Options{Progress: func(n, _ int) { progress = append(progress, n) }})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := c.Check(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Rule != check.RuleHardcodedSecret || rep.Findings[0].File != ".env" || rep.Findings[0].Line != 1 {
		t.Fatalf("want one hardcoded-secret finding at .env:1, got %v", rep.Findings)
	}
	var out bytes.Buffer
	_ = check.WriteText(&out, rep, true)
	_ = check.WriteJSON(&out, rep)
	_ = check.WriteSARIF(&out, rep)
	if bytes.Contains(out.Bytes(), []byte(secret[4:])) {
		t.Errorf("a report shows the secret:\n%s", out.String())
	}
	if len(progress) == 0 || progress[len(progress)-1] != len(rep.Files) {
		t.Errorf("progress %v, want it to end at %d files", progress, len(rep.Files))
	}
}

// TestSARIFSchemaRejects proves the schema test can fail.
func TestSARIFSchemaRejects(t *testing.T) {
	t.Parallel()
	schema, err := sarifSchema()
	if err != nil {
		t.Fatal(err)
	}
	bad := `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "gantry"}},
		"results": [{"ruleId": "x", "level": "fatal", "message": {"text": "m"}}]}]}`
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
	if err != nil {
		t.Fatal(err)
	}
	if schema.Validate(v) == nil {
		t.Error("a result with level fatal validated")
	}
}

func TestCheckErrors(t *testing.T) {
	t.Parallel()
	c := newChecker(t, "")
	if _, err := c.Check(context.Background(), filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing folder gave no error")
	}
	if _, err := newChecker(t, "qa").Check(context.Background(), filepath.Join("testdata", "base", "project")); !errors.Is(err, check.ErrUnknownEnv) {
		t.Errorf("unknown env: got %v, want ErrUnknownEnv", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Check(ctx, filepath.Join("testdata", "base", "project")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: got %v", err)
	}
}

// TestUnreadableByPermission covers a file the gate may not read; root
// reads everything, so it is skipped there (the unreadable-file golden
// case uses a broken link instead).
func TestUnreadableByPermission(t *testing.T) {
	t.Parallel()
	if os.Geteuid() == 0 {
		t.Skip("running as root: permissions do not stop reads")
	}
	dir := t.TempDir()
	copyTree(t, filepath.Join("testdata", "base", "project"), dir)
	f := filepath.Join(dir, "scripts", "load.sh")
	if err := os.Chmod(f, 0); err != nil {
		t.Fatal(err)
	}
	rep, err := newChecker(t, "").Check(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Rule != check.RuleUnreadableFile || rep.Findings[0].File != "scripts/load.sh" {
		t.Errorf("want one unreadable-file finding for scripts/load.sh, got %v", rep.Findings)
	}
}
