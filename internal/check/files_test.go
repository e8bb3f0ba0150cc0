package check_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/check/secrets"
)

// A pipeline over the spec's size limit fails the gate with the spec's
// message, and a huge file the scanner would refuse is not read first:
// checking a project with a 256 MiB script (sparse, so it costs no disk)
// allocates a small fraction of that. Not parallel, so that no other
// test's allocations are counted.
func TestCheckFileLimits(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, filepath.Join("testdata", "base", "project"), dir)
	big := "pipeline: big\ntasks: [{id: t, run: x}]\n" + strings.Repeat("# padding\n", 2<<20/10)
	if err := os.WriteFile(filepath.Join(dir, "pipelines", "big.yaml"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "scripts", "huge.sh")
	if err := os.WriteFile(huge, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, 256<<20); err != nil {
		t.Fatal(err)
	}
	// The real scanner's size check, without its rules.
	scanner := func(ctx context.Context, root string, rel []string) ([]check.SecretFinding, []error) {
		var errs []error
		for _, r := range rel {
			path := filepath.Join(root, r)
			if info, err := os.Stat(path); err == nil && info.Size() > secrets.MaxFileSize {
				errs = append(errs, &fs.PathError{Op: "scan", Path: path, Err: secrets.ErrTooLarge})
			}
		}
		return nil, errs
	}
	c, err := check.New(check.Options{Commands: fakeCommandLines, Secrets: check.SecretScannerFunc(scanner), Now: func() time.Time { return today }, TestFires: fakeTestFires})
	if err != nil {
		t.Fatal(err)
	}
	var rep *check.Report
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rep, err = c.Check(context.Background(), dir)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range rep.Findings {
		got = append(got, fmt.Sprintf("%s %s: %s", f.Rule, f.File, f.Message))
	}
	for _, want := range []string{
		check.RuleInvalidSpec + " pipelines/big.yaml: file is 2.0 MiB, over the 1 MiB limit for pipeline files",
		check.RuleUnreadableFile + " scripts/huge.sh: cannot scan: file larger than 10 MiB",
	} {
		if !containsLine(got, want) {
			t.Errorf("no finding %q in:\n%s", want, strings.Join(got, "\n"))
		}
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
		t.Errorf("the gate allocated %d MiB, want under 64 MiB: it read the 256 MiB file", n>>20)
	}
}

func containsLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
