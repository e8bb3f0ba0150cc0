package deploy

import (
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	t.Parallel()
	many := func(n int, change map[int]string) []string {
		var out []string
		for i := 1; i <= n; i++ {
			l := "line " + strings.Repeat("x", i%3) + string(rune('a'+i%26))
			if c, ok := change[i]; ok {
				if c == "" {
					continue
				}
				l = c
			}
			out = append(out, l)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		x, y []string
		want string
	}{
		{"one line changed", []string{"a", "b", "c"}, []string{"a", "B", "c"},
			"--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"added to an empty file", nil, []string{"x", "y"},
			"--- a/f\n+++ b/f\n@@ -0,0 +1,2 @@\n+x\n+y\n"},
		{"all removed", []string{"x"}, nil,
			"--- a/f\n+++ b/f\n@@ -1 +0,0 @@\n-x\n"},
		{"two hunks far apart", many(20, nil), many(20, map[int]string{2: "TWO", 18: ""}),
			"--- a/f\n+++ b/f\n@@ -1,5 +1,5 @@\n line xb\n-line xxc\n+TWO\n line d\n line xe\n line xxf\n" +
				"@@ -15,6 +15,5 @@\n line p\n line xq\n line xxr\n-line s\n line xt\n line xxu\n"},
		{"unchanged", []string{"a"}, []string{"a"}, "--- a/f\n+++ b/f\n"},
	} {
		if got := unified("a/f", "b/f", tc.x, tc.y); got != tc.want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", tc.name, got, tc.want)
		}
	}
}
