package check_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/gantryhq/gantry/internal/check"
)

type codeQualityIssue struct {
	Description string `json:"description"`
	CheckName   string `json:"check_name"`
	Fingerprint string `json:"fingerprint"`
	Severity    string `json:"severity"`
	Location    struct {
		Path  string `json:"path"`
		Lines struct {
			Begin int `json:"begin"`
		} `json:"lines"`
	} `json:"location"`
}

func codeQuality(t *testing.T, rep *check.Report) ([]codeQualityIssue, []byte) {
	t.Helper()
	var out bytes.Buffer
	if err := check.WriteCodeQuality(&out, rep); err != nil {
		t.Fatal(err)
	}
	var issues []codeQualityIssue
	dec := json.NewDecoder(bytes.NewReader(out.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&issues); err != nil {
		t.Fatalf("not a Code Quality array: %v\n%s", err, out.String())
	}
	return issues, out.Bytes()
}

// TestCodeQualityReport checks the GitLab Code Quality report of a project
// with two hardcoded secrets: one issue each, where GitLab shows it, with
// the secret masked, and nothing at all for a project that passes.
func TestCodeQualityReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	copyTree(t, filepath.Join("testdata", "base", "project"), dir)
	copyTree(t, filepath.Join("testdata", "hardcoded-secret", "project"), dir)
	rep, err := newChecker(t, "").Check(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	issues, raw := codeQuality(t, rep)
	if len(issues) != 2 {
		t.Fatalf("want 2 issues, got %d:\n%s", len(issues), raw)
	}
	want := []struct {
		path string
		line int
	}{{".env", 3}, {"Dockerfile", 2}}
	for i, is := range issues {
		if is.CheckName != check.RuleHardcodedSecret || is.Severity != "critical" ||
			is.Location.Path != want[i].path || is.Location.Lines.Begin != want[i].line {
			t.Errorf("issue %d = %+v, want a critical %s at %s:%d", i, is, check.RuleHardcodedSecret, want[i].path, want[i].line)
		}
		if is.Description == "" || len(is.Fingerprint) != 32 {
			t.Errorf("issue %d has no description or a short fingerprint: %+v", i, is)
		}
	}
	if issues[0].Fingerprint == issues[1].Fingerprint {
		t.Error("two different findings share a fingerprint; GitLab would merge them")
	}
	if m := fakeSecret.Find(raw); m != nil {
		t.Errorf("the report shows the secret %s", m)
	}
	again, _ := codeQuality(t, rep)
	if again[0].Fingerprint != issues[0].Fingerprint {
		t.Error("the fingerprint changes between two reports of the same finding")
	}

	clean, err := newChecker(t, "").Check(context.Background(), filepath.Join("testdata", "base", "project"))
	if err != nil {
		t.Fatal(err)
	}
	if issues, raw := codeQuality(t, clean); len(issues) != len(clean.Findings) {
		t.Errorf("want one issue per finding (%d), got:\n%s", len(clean.Findings), raw)
	}
}

// TestCodeQualitySeverityAndSuppressed: warnings are major, info is info,
// a finding without a file lands on gantry.yaml, and a suppressed finding
// is not an issue.
func TestCodeQualitySeverityAndSuppressed(t *testing.T) {
	t.Parallel()
	rep := &check.Report{
		Findings: []check.Finding{
			{Rule: "task-retries", Severity: check.SeverityWarning, File: "pipelines/a.yaml", Line: 7, Message: "no retries"},
			{Rule: "runbook-exists", Severity: check.SeverityInfo, Message: "no runbook"},
		},
		Suppressed: []check.Suppressed{{Finding: check.Finding{Rule: "task-timeout", Severity: check.SeverityError, File: "pipelines/b.yaml", Line: 3}, Reason: "r"}},
	}
	issues, raw := codeQuality(t, rep)
	if len(issues) != 2 {
		t.Fatalf("want 2 issues (the suppressed one left out), got:\n%s", raw)
	}
	if issues[0].Severity != "major" || issues[0].Location.Path != "pipelines/a.yaml" || issues[0].Location.Lines.Begin != 7 {
		t.Errorf("warning issue = %+v", issues[0])
	}
	if issues[1].Severity != "info" || issues[1].Location.Path != "gantry.yaml" || issues[1].Location.Lines.Begin != 1 {
		t.Errorf("file-less info issue = %+v", issues[1])
	}
	if issues, raw := codeQuality(t, &check.Report{}); len(issues) != 0 || !bytes.HasPrefix(raw, []byte("[]")) {
		t.Errorf("an empty report must be [], got %s", raw)
	}
}
