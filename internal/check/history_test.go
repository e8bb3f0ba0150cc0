package check_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/check"
)

// historyRepo makes a git repository holding the base project with two
// secrets in its history: one committed and removed in a later commit
// (config/old.env, edited in between), one still in the work tree
// (app/settings.py). It
// returns the repository and the short id of the commit that added them.
func historyRepo(t *testing.T) (root, added string) {
	t.Helper()
	root = t.TempDir()
	copyTree(t, filepath.Join("testdata", "base", "project"), root)
	git(t, root, "init", "-q")
	git(t, root, "add", "-A")
	git(t, root, "commit", "-qm", "project")
	writeFiles(t, root, map[string]string{
		"config/old.env":  "HOST=db\nDB_PASSWORD=" + plantedPassword + "\n",
		"app/settings.py": "DEBUG = False\nSECRET_KEY = \"" + plantedPassword + "\"\n",
	})
	git(t, root, "add", "-A")
	git(t, root, "commit", "-qm", "config")
	added = strings.TrimSpace(git(t, root, "rev-parse", "--short", "HEAD"))
	// An edit that keeps the password: another version of the file, the
	// same leak, reported once.
	writeFiles(t, root, map[string]string{"config/old.env": "# database\nHOST=db\nDB_PASSWORD=" + plantedPassword + "\n"})
	git(t, root, "commit", "-qam", "comment")
	if err := os.Remove(filepath.Join(root, "config", "old.env")); err != nil {
		t.Fatal(err)
	}
	git(t, root, "commit", "-qam", "remove the password")
	return root, added
}

// A secret committed and then removed is not in the work tree, so only
// --history finds it; it names the commit that added it. A secret still
// in the work tree is reported once, where it is today.
func TestCheckHistory(t *testing.T) {
	t.Parallel()
	root, added := historyRepo(t)

	rep := checkReal(t, root, check.Options{})
	if hasFinding(rep, check.RuleHardcodedSecret, "config/old.env") {
		t.Errorf("without history, the removed file is reported: %v", rep.Findings)
	}
	rep = checkReal(t, root, check.Options{History: true})
	var old, current []check.Finding
	for _, f := range rep.Findings {
		switch {
		case f.Rule != check.RuleHardcodedSecret:
		case f.File == "config/old.env":
			old = append(old, f)
		case f.File == "app/settings.py":
			current = append(current, f)
		}
	}
	if len(old) != 1 || old[0].Line != 2 || !strings.HasSuffix(old[0].Message, "in history: commit "+added) {
		t.Errorf("history findings in config/old.env: %+v, want one on line 2 naming commit %s", old, added)
	}
	if len(current) != 1 || strings.Contains(current[0].Message, "history") {
		t.Errorf("findings in app/settings.py: %+v, want one, in the work tree", current)
	}
	if rep.Passed() {
		t.Error("the gate passes with a leaked secret in history")
	}
}

func TestCheckHistoryNeedsGit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	copyTree(t, filepath.Join("testdata", "base", "project"), dir)
	c, err := check.New(check.Options{History: true, Commands: fakeCommandLines})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Check(context.Background(), dir); !errors.Is(err, check.ErrNoHistory) {
		t.Errorf("Check with History outside a repository: %v, want ErrNoHistory", err)
	}
}

// A baseline accepts legacy findings, each with a reason and an expiry:
// the one it pins by line and commit is suppressed, a new secret beside
// it is not, and an expired entry is a bad suppression.
func TestCheckBaseline(t *testing.T) {
	t.Parallel()
	root, added := historyRepo(t)
	writeFiles(t, root, map[string]string{"baseline.yaml": `
- rule: hardcoded-secret
  path: config/old.env
  line: 2
  commit: ` + added + `
  reason: sandbox password, revoked when the file was removed
  expires: 2026-12-31
- rule: hardcoded-secret
  path: app/settings.py
  reason: legacy
  expires: 2026-01-01
`})
	rep := checkReal(t, root, check.Options{History: true, Baseline: "baseline.yaml"})
	if hasFinding(rep, check.RuleHardcodedSecret, "config/old.env") {
		t.Errorf("the baseline's finding is still reported: %v", rep.Findings)
	}
	var sup []check.Suppressed
	for _, s := range rep.Suppressed {
		if s.Finding.File == "config/old.env" {
			sup = append(sup, s)
		}
	}
	if len(sup) != 1 || sup[0].Source != "baseline.yaml:2" || sup[0].Reason == "" {
		t.Errorf("suppressed: %+v, want the one from baseline.yaml:2", sup)
	}
	if !hasFinding(rep, check.RuleHardcodedSecret, "app/settings.py") {
		t.Errorf("an expired baseline entry still applies: %v", rep.Findings)
	}
	if !hasFinding(rep, check.RuleBadSuppression, "baseline.yaml") {
		t.Errorf("an expired baseline entry is no finding: %v", rep.Findings)
	}

	// The same entry for another line covers nothing.
	writeFiles(t, root, map[string]string{"baseline.yaml": `
- {rule: hardcoded-secret, path: config/old.env, line: 1, reason: wrong line, expires: 2026-12-31}
`})
	rep = checkReal(t, root, check.Options{History: true, Baseline: "baseline.yaml"})
	if !hasFinding(rep, check.RuleHardcodedSecret, "config/old.env") {
		t.Errorf("an entry for line 1 suppressed the secret on line 2")
	}
}
