package spec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProjectYAMLSyntax parses broken gantry.yaml files from testdata: the
// error names the line at fault (not the line the list began on, nor the
// one before), and a tab in indentation says so with its column.
func TestProjectYAMLSyntax(t *testing.T) {
	t.Parallel()
	cases := []struct{ file, want string }{
		{"tab.yaml", "gantry.yaml:3:1: invalid YAML: tabs are not allowed in YAML indentation"},
		{"indent.yaml", "gantry.yaml:4: invalid YAML: did not find expected '-' indicator"},
	}
	for _, c := range cases {
		data, err := os.ReadFile(filepath.Join("testdata", "project_yaml", c.file))
		if err != nil {
			t.Fatal(err)
		}
		_, err = ParseProject("gantry.yaml", data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.file, err, c.want)
		}
	}
}

func TestTabIndent(t *testing.T) {
	t.Parallel()
	data := []byte("a: 1\nb:\n  c: \"x\ty\"\n \t d: 2\n")
	if p, ok := tabIndent(data, 1); !ok || p != (Pos{Line: 4, Col: 2}) {
		t.Errorf("tabIndent = %v, %v; want 4:2 (a tab inside a value is no indentation)", p, ok)
	}
	if _, ok := tabIndentOn(data, 3); ok {
		t.Error("tabIndentOn(3) found a tab in line 3's indentation; it has none")
	}
}
