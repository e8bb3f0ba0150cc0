package spec

import (
	"regexp"
	"strings"
	"testing"
)

// Each CharPattern matches exactly what the regexp it stands for matches.
func TestCharPatternsMatchTheirRegexps(t *testing.T) {
	inputs := []string{"", "a", "A", "_", "-", "0", "orders_daily", "orders-daily", "Orders", "a b", "a\n",
		"é", "aé", "x.y", "x:y/z", "AWS_KEY", "9lives", "_x", "a-", "a_", strings.Repeat("a", 62), strings.Repeat("a", 63),
		strings.Repeat("a", 64), strings.Repeat("A", 127), strings.Repeat("A", 128), strings.Repeat("A", 129),
		strings.Repeat("b", 199), strings.Repeat("b", 200), strings.Repeat("b", 201), "a\x00", "[", "a]", "a^"}
	for _, p := range []*CharPattern{nameRe, datasetRe, envVarRe, secretRe, envPrefixRe, labelRe} {
		re := regexp.MustCompile(p.String())
		for _, s := range inputs {
			if got, want := p.MatchString(s), re.MatchString(s); got != want {
				t.Errorf("%s on %q: %v, the regexp says %v", p, s, got, want)
			}
		}
	}
}

func BenchmarkNewCharPattern(b *testing.B) {
	for b.Loop() {
		NewCharPattern("A-Za-z0-9", "A-Za-z0-9_.:/-", 200)
	}
}
