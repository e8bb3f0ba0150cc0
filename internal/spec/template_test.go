package spec

import (
	"os/exec"
	"strings"
	"testing"
)

func TestRenderQuotes(t *testing.T) {
	t.Parallel()
	v := Vars{Params: map[string]string{"p": "x"}, RunID: 42, Task: "load", Attempt: 2, Env: "prod"}
	v.Interval.Start, v.Interval.End = "2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z"
	tests := []struct {
		name, run, want string
	}{
		{"plain", "./x.sh {{ .Interval.Start }} {{ .RunID }}", "./x.sh '2024-03-01T00:00:00Z' '42'"},
		{"inside double quotes", `./x.sh "{{ .Interval.Start }}"`, `./x.sh ""'2024-03-01T00:00:00Z'""`},
		{"inside single quotes", `echo 'at {{ .Task }}'`, `echo 'at load'`},
		{"no actions", "echo hi", "echo hi"},
		{"conditions see raw values", `{{ if eq .Env "prod" }}--prod{{ end }}`, "--prod"},
		{"variables", `{{ $a := .Attempt }}{{ $a }}`, "'2'"},
		{"command substitution", `echo "$(echo {{ .Task }})"`, `echo "$(echo 'load')"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Render(tt.run, v)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("Render = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRenderCannotInject runs rendered commands in a real shell: whatever
// a parameter holds, the command must print it back verbatim and run
// nothing else.
func TestRenderCannotInject(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	hostile := []string{
		`'; echo INJECTED; '`,
		`"; echo INJECTED; "`,
		`$(echo INJECTED)`,
		"`echo INJECTED`",
		`a b	c`,
		`\'; echo INJECTED #`,
		"line1\nline2; echo INJECTED",
		`$HOME ${HOME} * ? [a]`,
		`'"'"'`,
		``,
	}
	templates := []string{
		`printf '%s' {{ .Params.v }}`,
		`printf '%s' "{{ .Params.v }}"`,
		`printf '%s' 'pre{{ .Params.v }}post'`,
		`printf '%s' "pre {{ .Params.v }} post"`,
		`printf '%s' "$(printf '%s' {{ .Params.v }})"`,
	}
	wants := []func(v string) string{
		func(v string) string { return v },
		func(v string) string { return v },
		func(v string) string { return "pre" + v + "post" },
		func(v string) string { return "pre " + v + " post" },
		func(v string) string { return strings.TrimRight(v, "\n") },
	}
	for ti, tmpl := range templates {
		for _, val := range hostile {
			cmd, err := Render(tmpl, Vars{Params: map[string]string{"v": val}})
			if err != nil {
				t.Fatalf("Render(%q): %v", tmpl, err)
			}
			out, err := exec.Command("sh", "-c", cmd).Output()
			if err != nil {
				t.Fatalf("sh -c %q: %v", cmd, err)
			}
			if strings.Contains(string(out), "INJECTED") && !strings.Contains(val, "INJECTED") {
				t.Fatalf("injection: %q ran code", cmd)
			}
			if got, want := string(out), wants[ti](val); got != want {
				t.Errorf("template %q with %q:\n command %q\n printed %q, want %q", tmpl, val, cmd, got, want)
			}
		}
	}
}

func TestRenderRefusesUnsafeContexts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, run, want string
	}{
		{"backticks", "echo `echo {{ .Task }}`", "backticks"},
		{"parameter expansion", "echo ${X:-{{ .Task }}}", "${...}"},
		{"here-document", "cat <<EOF\n{{ .Task }}\nEOF", "here-document"},
		{"comment", "echo hi # {{ .Task }}", "comment"},
		{"missing param", "echo {{ .Params.nope }}", `no entry for key "nope"`},
		{"define", `{{ define "x" }}y{{ end }}echo`, "not supported"},
		{"reserved rune", "echo \uE000", "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Render(tt.run, Vars{Task: "t", Params: map[string]string{}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Render error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestRenderInterpretsRunOnce(t *testing.T) {
	t.Parallel()
	// A value that looks like a template is data, never executed.
	got, err := Render("echo {{ .Params.v }}", Vars{Params: map[string]string{"v": "{{ .RunID }}"}})
	if err != nil || got != "echo '{{ .RunID }}'" {
		t.Fatalf("Render = %q, %v", got, err)
	}
}
