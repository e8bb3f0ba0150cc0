package check

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strconv"
)

// GitLab Code Quality report: a JSON array of issues, the subset of the
// Code Climate format GitLab reads (artifacts: reports: codequality).
type (
	codeQualityIssue struct {
		Description string              `json:"description"`
		CheckName   string              `json:"check_name"`
		Fingerprint string              `json:"fingerprint"`
		Severity    string              `json:"severity"`
		Location    codeQualityLocation `json:"location"`
	}
	codeQualityLocation struct {
		Path  string           `json:"path"`
		Lines codeQualityLines `json:"lines"`
	}
	codeQualityLines struct {
		Begin int `json:"begin"`
	}
)

// WriteCodeQuality writes the report's findings as a GitLab Code Quality
// report. Suppressed findings are left out (GitLab has no suppression);
// a finding without a file is placed on the project's gantry.yaml, since
// GitLab wants a path for every issue. Paths are relative to the project
// folder. The fingerprint is a hash of rule, file, line and message, so
// the same finding keeps its identity from one pipeline to the next and
// GitLab can tell new findings from fixed ones.
func WriteCodeQuality(w io.Writer, rep *Report) error {
	issues := []codeQualityIssue{}
	for _, f := range rep.Findings {
		desc := f.Message
		if f.Fix != "" {
			desc += " (fix: " + f.Fix + ")"
		}
		path := f.File
		if path == "" {
			path = "gantry.yaml"
		}
		issues = append(issues, codeQualityIssue{
			Description: desc,
			CheckName:   f.Rule,
			Fingerprint: codeQualityFingerprint(f),
			Severity:    codeQualitySeverity(f.Severity),
			Location:    codeQualityLocation{Path: path, Lines: codeQualityLines{Begin: max(f.Line, 1)}},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(issues)
}

func codeQualityFingerprint(f Finding) string {
	h := sha256.New()
	for _, s := range []string{f.Rule, f.File, strconv.Itoa(f.Line), f.Message} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// codeQualitySeverity maps a severity onto GitLab's scale (info, minor,
// major, critical, blocker): an error fails the gate, so it is critical.
func codeQualitySeverity(s Severity) string {
	switch s {
	case SeverityError:
		return "critical"
	case SeverityWarning:
		return "major"
	}
	return "info"
}
