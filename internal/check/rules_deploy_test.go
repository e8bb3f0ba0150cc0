package check_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/check"
)

// deploy.gates warnings: only a class gantry.yaml names without the
// approval gate, and only while an environment is protected.
func TestDeployGatesApproval(t *testing.T) {
	base, err := os.ReadFile(filepath.Join("testdata", "base", "project", "gantry.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	unprotected := strings.Replace(string(base), "    approval: {required: 1}\n", "", 1)
	cases := []struct {
		name, yaml, env string
		want            []string // messages, in order
	}{
		{"defaults", string(base), "", nil},
		{"every named class approved", string(base) + "deploy:\n  gates:\n    L1: [check, approval]\n    L2: [check, staging, approval]\n", "", nil},
		{"two classes unapproved", string(base) + "deploy:\n  gates:\n    L1: [check]\n    L3: [check, staging]\n", "", []string{
			"gantry.yaml:22:5 deploy.gates.L1 lets L1 changes into protected environment prod without approval",
			"gantry.yaml:23:5 deploy.gates.L3 lets L3 changes into protected environment prod without approval",
		}},
		{"protected by a pipeline", unprotected + "deploy:\n  gates:\n    L1: [check]\n", "", []string{
			"gantry.yaml:21:5 deploy.gates.L1 lets L1 changes into protected environment prod without approval",
		}},
		{"checked for another environment", string(base) + "deploy:\n  gates:\n    L1: [check]\n", "staging", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			copyTree(t, filepath.Join("testdata", "base", "project"), dir)
			if err := os.WriteFile(filepath.Join(dir, "gantry.yaml"), []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			rep, err := newChecker(t, tc.env).Check(t.Context(), dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range rep.Findings {
				if f.Rule == check.RuleGateApproval {
					if f.Severity != check.SeverityWarning {
						t.Errorf("severity %s, want warning", f.Severity)
					}
					got = append(got, fmt.Sprintf("%s:%d:%d %s", f.File, f.Line, f.Col, f.Message))
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("findings:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}
