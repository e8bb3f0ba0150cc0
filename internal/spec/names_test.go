package spec

import (
	"strings"
	"testing"
)

// CheckName must agree with what a pipeline file accepts as its name.
func TestCheckNameAgreesWithParse(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"orders", "orders_daily", "a-1", "0x", strings.Repeat("a", 63),
		"", "Orders", "-x", "_x", "a.b", "a b", "a/b", strings.Repeat("a", 64)} {
		doc := "pipeline: \"" + name + "\"\nowner: me\ntasks:\n  - id: a\n    run: \"true\"\n"
		_, parseErr := ParsePipeline("p.yaml", []byte(doc))
		parseRejects := parseErr != nil && (strings.Contains(parseErr.Error(), "pipeline name") || strings.Contains(parseErr.Error(), "pipeline: must not be empty"))
		err := CheckName("pipeline name", name)
		if (err != nil) != parseRejects {
			t.Errorf("%q: CheckName = %v, but parsing says %v", name, err, parseErr)
		}
		if err != nil && !strings.Contains(err.Error(), "invalid pipeline name") {
			t.Errorf("%q: error %q does not say what is invalid", name, err)
		}
	}
}
