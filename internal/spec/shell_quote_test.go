package spec

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// shells are the real shells the rendering tests run commands with:
// /bin/sh always, and bash where it exists, since it is /bin/sh on some
// systems and parses more than POSIX asks.
func shells(t testing.TB) []string {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	out := []string{"/bin/sh"}
	if _, err := os.Stat("/bin/bash"); err == nil {
		out = append(out, "/bin/bash")
	}
	return out
}

// hostileValues would each create the file M if the shell parsed them.
var hostileValues = []string{
	`$(touch M)`,
	"`touch M`",
	`x" ; touch M ; echo "`,
	`'; touch M; '`,
	`\`,
	"\ntouch M",
	`$'\x27'`,
	`a[$(touch M)]`,
	`x' ; touch M ; echo '`,
	`}; touch M; echo ${x`,
	"EOF\ntouch M\nEOF",
	`) ; touch M ; (`,
}

// plainValues must come through unchanged, as one word.
var plainValues = []string{
	"hello", "a b  c", `it's "quoted"`, "line1\nline2\tx", "$HOME ${HOME}", "`x`",
	"* ? [a]", "", "-n", "41", `\n\\`,
}

// TestRenderValueIsData renders commands that put a value in every shell
// context, runs them with real shells, and checks that each prints the
// value verbatim as one word and that no hostile value ran anything.
func TestRenderValueIsData(t *testing.T) {
	t.Parallel()
	sh := shells(t)
	id := func(v string) string { return "[" + v + "]" }
	tests := []struct {
		name, run string
		want      func(v string) string // nil: only check that nothing ran
		bashOnly  bool                  // want holds in bash only
		integers  bool                  // only integers render; others are refused
	}{
		{name: "unquoted", run: `printf '[%s]' {{ .Params.v }}`, want: id},
		{name: "interval", run: `printf '[%s]' {{ .Interval.Start }}`, want: id},
		{name: "double quotes", run: `printf '[%s]' "a {{ .Params.v }} b"`,
			want: func(v string) string { return "[a " + v + " b]" }},
		{name: "single quotes", run: `printf '[%s]' 'x={{ .Params.v }}'`,
			want: func(v string) string { return "[x=" + v + "]" }},
		{name: "mixed quotes", run: `printf '[%s]' "a"{{ .Params.v }}'b'`,
			want: func(v string) string { return "[a" + v + "b]" }},
		{name: "two actions", run: `printf '[%s]' {{ .Params.v }}{{ .Interval.Start }}`,
			want: func(v string) string { return "[" + v + v + "]" }},
		{name: "assignment", run: `x={{ .Params.v }}; printf '[%s]' "$x"`, want: id},
		{name: "command substitution", run: `printf '[%s]' "$(printf '%s' {{ .Params.v }})"`, want: trimmedID},
		{name: "unquoted command substitution", run: `printf '[%s]' $(printf '%s' "{{ .Params.v }}" | wc -c)`,
			want: func(v string) string { return "[" + itoa(len(v)) + "]" }},
		{name: "nested command substitution",
			run: `printf '[%s]' "$(printf '%s' "$(printf '%s' '{{ .Params.v }}')")"`, want: trimmedID},
		{name: "backticks", run: "printf '[%s]' \"`printf '%s' {{ .Params.v }}`\"", want: trimmedID},
		{name: "double quotes in backticks", run: "printf '[%s]' \"`printf '%s' \"{{ .Params.v }}\"`\"", want: trimmedID},
		{name: "issue: case in $( )", run: `echo "$(case x in x) echo " {{ .Params.v }}" ;; esac)"`},
		{name: "case in $( )", run: `printf '[%s]' "$(case x in x) printf '%s' "{{ .Params.v }}" ;; esac)"`, want: trimmedID},
		{name: "case pattern in parens", run: `printf '[%s]' "$(case x in (x) printf '%s' '{{ .Params.v }}' ;; esac)"`, want: trimmedID},
		{name: "case word", run: `case {{ .Params.v }} in *) printf '[%s]' "{{ .Params.v }}" ;; esac`, want: id},
		{name: "issue: bash $'...'", run: `echo $'a\'b {{ .Params.v }} '`},
		{name: "bash $'...'", run: `printf '[%s]' $'a\'b {{ .Params.v }} '`, bashOnly: true,
			want: func(v string) string { return "[a'b " + v + " ]" }},
		{name: "here-document", run: "cat <<EOF\n[{{ .Params.v }}]\nEOF", want: func(v string) string { return id(v) + "\n" }},
		{name: "here-document, tabs stripped", run: "cat <<-EOF\n\t[{{ .Params.v }}]\n\tEOF\nprintf done",
			want: func(v string) string { return id(v) + "\ndone" }},
		{name: "here-document with quotes in it", run: "cat <<EOF\n'\"{{ .Params.v }}\"'\nEOF",
			want: func(v string) string { return `'"` + v + `"'` + "\n" }},
		{name: "two here-documents", run: "cat <<A; cat <<'B'\n[{{ .Params.v }}]\nA\n'$x'\nB",
			want: func(v string) string { return id(v) + "\n'$x'\n" }},
		{name: "here-document in $( )", run: "printf '[%s]' \"$(cat <<EOF\n{{ .Params.v }}\nEOF\n)\"", want: trimmedID},
		{name: "here-document, then a value", run: "cat <<'EOF'\n'\nEOF\nprintf '[%s]' {{ .Params.v }}", want: func(v string) string { return "'\n" + id(v) }},
		{name: "default value", run: `printf '[%s]' ${x:-{{ .Params.v }}}`, want: id},
		{name: "default value in double quotes", run: `printf '[%s]' "${x:-{{ .Params.v }}}"`, want: id},
		{name: "alternative value", run: `x=1; printf '[%s]' "${x:+a {{ .Params.v }}}"`,
			want: func(v string) string { return "[a " + v + "]" }},
		{name: "prefix pattern", run: `x='abc*'; printf '[%s]' "${x#{{ .Params.v }}}"`,
			want: func(v string) string { return "[" + strings.TrimPrefix("abc*", v) + "]" }},
		{name: "arithmetic", run: `printf '[%s]' $(( {{ .Params.v }} + 1 ))`, integers: true,
			want: func(v string) string { return "[" + itoa(atoi(v)+1) + "]" }},
		{name: "comment", run: "printf '[%s]' ok # {{ .Params.v }}\nprintf '[%s]' {{ .Params.v }}",
			want: func(v string) string { return "[ok]" + id(v) }},
		{name: "subshell", run: `( printf '[%s]' {{ .Params.v }} )`, want: id},
	}
	values := append(append([]string{}, plainValues...), hostileValues...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, val := range values {
				vars := Vars{Params: map[string]string{"v": val}}
				vars.Interval.Start = val
				cmd, env, err := Render(tt.run, vars)
				if tt.integers && !integer.MatchString(val) {
					if err == nil || !strings.Contains(err.Error(), "integer") {
						t.Errorf("value %q: Render = %q, %v; want it refused", val, cmd, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("value %q: Render: %v", val, err)
				}
				if strings.Contains(val, "touch") && strings.Contains(cmd, "touch") {
					t.Fatalf("value %q reached the command text: %q", val, cmd)
				}
				for _, shell := range sh {
					out, marker := runShell(t, shell, cmd, env)
					if marker {
						t.Fatalf("%s ran the value %q:\n%s", shell, val, cmd)
					}
					if tt.want == nil || tt.bashOnly && shell != "/bin/bash" {
						continue
					}
					if want := tt.want(val); out != want {
						t.Errorf("%s with %q:\n command %q\n printed %q, want %q", shell, val, cmd, out, want)
					}
				}
			}
		})
	}
}

// runShell runs cmd with shell -c in a fresh directory and returns what it
// printed and whether the file M appeared there.
func runShell(t *testing.T, shell, cmd string, env []string) (string, bool) {
	t.Helper()
	dir := t.TempDir()
	c := exec.Command(shell, "-c", cmd)
	c.Dir = dir
	c.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=/home/h"}, env...)
	out, _ := c.Output() // a syntax error is fine; running the value is not
	_, err := os.Stat(filepath.Join(dir, "M"))
	return string(out), err == nil
}

// trimmedID is what $( ) makes of a value: trailing newlines go.
func trimmedID(v string) string { return "[" + strings.TrimRight(v, "\n") + "]" }

func itoa(n int) string { return strconv.Itoa(n) }

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return n
}
