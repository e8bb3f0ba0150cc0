package spec

import (
	"strings"
	"testing"
)

// TestRenderReferences shows the command a task runs: the template's text
// with each value replaced by a reference to the variable that holds it.
func TestRenderReferences(t *testing.T) {
	t.Parallel()
	v := Vars{Params: map[string]string{"p": "x"}, RunID: 42, Task: "load", Attempt: 2, Env: "prod"}
	v.Interval.Start, v.Interval.End = "2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z"
	tests := []struct {
		name, run, want string
		env             []string
	}{
		{"plain", "./x.sh {{ .Interval.Start }} {{ .RunID }}", `./x.sh "${GANTRY_TPL_1}" "${GANTRY_TPL_2}"`,
			[]string{"GANTRY_TPL_1=2024-03-01T00:00:00Z", "GANTRY_TPL_2=42"}},
		{"inside double quotes", `./x.sh "{{ .Interval.Start }}"`, `./x.sh "${GANTRY_TPL_1}"`,
			[]string{"GANTRY_TPL_1=2024-03-01T00:00:00Z"}},
		{"inside single quotes", `echo 'at {{ .Task }}'`, `echo 'at '"${GANTRY_TPL_1}"''`, []string{"GANTRY_TPL_1=load"}},
		{"no actions", "echo hi", "echo hi", []string{}},
		{"conditions see raw values", `{{ if eq .Env "prod" }}--prod{{ end }}`, "--prod", []string{}},
		{"variables", `{{ $a := .Attempt }}{{ $a }}`, `"${GANTRY_TPL_1}"`, []string{"GANTRY_TPL_1=2"}},
		{"command substitution", `echo "$(echo {{ .Task }})"`, `echo "$(echo "${GANTRY_TPL_1}")"`, []string{"GANTRY_TPL_1=load"}},
		{"one variable per action", `echo {{ .Task }} {{ .Task }}`, `echo "${GANTRY_TPL_1}" "${GANTRY_TPL_2}"`,
			[]string{"GANTRY_TPL_1=load", "GANTRY_TPL_2=load"}},
		{"here-document", "cat <<EOF\n{{ .Task }}\nEOF", "cat <<EOF\n${GANTRY_TPL_1}\nEOF", []string{"GANTRY_TPL_1=load"}},
		{"arithmetic", "echo $(( {{ .RunID }} + 1 ))", "echo $(( ${GANTRY_TPL_1} + 1 ))", []string{"GANTRY_TPL_1=42"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, env, err := Render(tt.run, v)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("Render = %q, want %q", got, tt.want)
			}
			if strings.Join(env, "\n") != strings.Join(tt.env, "\n") {
				t.Fatalf("Render env = %q, want %q", env, tt.env)
			}
		})
	}
}

func TestRenderRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, run, want string
		params          map[string]string
	}{
		{"quoted here-document", "cat <<'EOF'\n{{ .Task }}\nEOF", "quoted delimiter", nil},
		{"here-document delimiter", "cat <<{{ .Task }}\nx\n", "delimiter", nil},
		{"arithmetic of a non-integer", "echo $(( {{ .Params.v }} ))", "integer", map[string]string{"v": "a[$(touch M)]"}},
		{"bash substring offset", "x=abc; echo ${x:{{ .Params.v }}}", "integer", map[string]string{"v": "a[$(touch M)]"}},
		{"NUL in a value", "echo {{ .Params.v }}", "NUL", map[string]string{"v": "a\x00b"}},
		{"missing param", "echo {{ .Params.nope }}", `no entry for key "nope"`, nil},
		{"define", `{{ define "x" }}y{{ end }}echo`, "not supported", nil},
		{"reserved rune", "echo \uE000", "reserved", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.params == nil {
				tt.params = map[string]string{}
			}
			_, _, err := Render(tt.run, Vars{Task: "t", Params: tt.params})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Render error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestRenderPlainCommand(t *testing.T) {
	t.Parallel()
	// No action: the text as it is, dollar signs, quotes and all.
	run := `echo "$HOME" '{ x }' \n`
	got, env, err := Render(run, Vars{})
	if err != nil || got != run || len(env) != 0 {
		t.Fatalf("Render(%q) = %q, %q, %v", run, got, env, err)
	}
}

func TestRenderInterpretsRunOnce(t *testing.T) {
	t.Parallel()
	// A value that looks like a template is data, never executed.
	got, env, err := Render("echo {{ .Params.v }}", Vars{Params: map[string]string{"v": "{{ .RunID }}"}})
	if err != nil || got != `echo "${GANTRY_TPL_1}"` || len(env) != 1 || env[0] != "GANTRY_TPL_1={{ .RunID }}" {
		t.Fatalf("Render = %q, %q, %v", got, env, err)
	}
}
