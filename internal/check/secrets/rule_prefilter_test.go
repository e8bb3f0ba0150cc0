package secrets

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestPrefiltersMatchWhereRulesMatch runs every gitleaks rule over the
// corpus and the tricky text: wherever its pattern matches, its prefilter
// and its need must let the text through, or the scanner would lose the
// finding.
func TestPrefiltersMatchWhereRulesMatch(t *testing.T) {
	t.Parallel()
	rs, err := loadRuleSets()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := loadCorpus(t, filepath.Join("testdata", "corpus"))
	files["mixed/tricky.yaml"] = []byte(trickyText())
	var checked, stripped int
	for _, r := range rs.full.Rules {
		pre := prefilterFor(r)
		if pre == nil {
			continue
		}
		if pre.String() != r.Regex.String() {
			stripped++
		}
		need := ruleNeeds[r.RuleID]
		for name, text := range files {
			if !r.Regex.Match(text) {
				continue
			}
			checked++
			if !pre.Match(text) {
				t.Errorf("%s: %s matches but its prefilter %q does not", name, r.RuleID, pre)
			}
			if need != nil && !need(asciiLower(text)) {
				t.Errorf("%s: %s matches but its need does not hold", name, r.RuleID)
			}
		}
	}
	if checked < 20 || stripped < 50 {
		t.Errorf("checked %d (rule, file) matches and %d stripped prefilters, want 20 and 50 or more", checked, stripped)
	}
	t.Logf("%d (rule, file) matches checked; %d rules have a shorter prefilter", checked, stripped)
}

func TestRuleNeeds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		rule, text string
		want       bool
	}{
		{"vault-service-token", "VAULT_TOKEN=s.Qm7Xr2Lp9Tn4Vb8Kc1Hd6Jf3", true},
		{"vault-service-token", "token: hvs." + strings.Repeat("aB3_-", 20), true},
		{"vault-service-token", "run: helm upgrade charts.internal/api --values values.yaml", false},
		{"vault-service-token", "s.Qm7Xr2Lp9Tn4\u212aVb8Kc1Hd6", true}, // the Kelvin sign folds to k
		{"kubernetes-secret-yaml", "kind: Secret\ndata:\n  a: b", true},
		{"kubernetes-secret-yaml", "data:\n  a: b\nkind:\t'secret'", true},
		{"kubernetes-secret-yaml", "kind: Deployment\nenv:\n  - secretKeyRef: {name: db}\ndata: {}", false},
		{"kubernetes-secret-yaml", "kind: Secret\nstringData:\n  a: b", true}, // stringData: holds data:
		{"kubernetes-secret-yaml", "kind: Secret\ntype: Opaque", false},
	}
	for _, c := range cases {
		if got := ruleNeeds[c.rule](asciiLower([]byte(c.text))); got != c.want {
			t.Errorf("%s need on %q = %v, want %v", c.rule, c.text, got, c.want)
		}
	}
}
