package secrets_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/check/secrets"
)

// TestGateCorpus runs the readiness gate itself, not the scanner alone,
// over the labelled corpus laid out as a git repository: the gate must
// reach every file (GitLab include files, compose files, Makefiles,
// Kubernetes Secrets and manifests, Helm values, Terraform, workflows in
// sub-folders, application config, scripts without .sh) and report, per
// line, with recall and precision of 0.95 or more.
func TestGateCorpus(t *testing.T) {
	t.Parallel()
	files, lines := secrets.LoadCorpus(t, filepath.Join("testdata", "corpus"))
	root := t.TempDir()
	for name, text := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, text, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}} {
		if out, err := exec.Command("git", append([]string{"-C", root}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	c, err := check.New(check.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := c.Check(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	reported := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Rule == check.RuleHardcodedSecret {
			reported[fmt.Sprintf("%s:%d", f.File, f.Line)] = true
		}
	}
	var tp, fp, fn, nSecret int
	for _, l := range lines {
		file, n, labelled, secret := l.Label()
		key := fmt.Sprintf("%s:%d", file, n)
		switch {
		case secret && reported[key]:
			tp++
		case secret:
			fn++
			t.Errorf("%s: the gate does not report the secret", key)
		case reported[key]:
			fp++
			t.Errorf("%s: the gate reports a false positive", key)
		}
		if labelled && secret {
			nSecret++
		}
	}
	recall := float64(tp) / float64(max(tp+fn, 1))
	precision := float64(tp) / float64(max(tp+fp, 1))
	msg := fmt.Sprintf("gate over the corpus: %d files, %d secret lines: recall %.3f (%d/%d), precision %.3f (%d/%d)",
		len(files), nSecret, recall, tp, tp+fn, precision, tp, tp+fp)
	t.Log(msg)
	if testing.Verbose() {
		fmt.Println(msg)
	}
	if recall < 0.95 || precision < 0.95 {
		t.Errorf("recall %.3f, precision %.3f: want both >= 0.95", recall, precision)
	}
}
