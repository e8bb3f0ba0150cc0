package cli_test

import (
	"os"
	"path/filepath"
	"testing"
)

// TestParamIsNeverShellCode runs, through the real binary, the command
// from issue 10 that fooled the old quoting: the param sits in double
// quotes inside a case inside $( ), where a quoter that miscounts the
// case's ")" put the value in plain sight of the shell.
func TestParamIsNeverShellCode(t *testing.T) {
	t.Parallel()
	const pipeline = `pipeline: hostile
params:
  v: x
tasks:
  - id: echo
    run: |
      echo "$(case x in x) echo " {{ .Params.v }}" ;; esac)"
`
	dir, file := project(t, "hostile.yaml", pipeline)
	const evil = `$(touch pwned)`
	r := gantry(t, dir, "run", file, "--date", "2026-11-21", "--param", "v="+evil)
	wantCode(t, r, 0)
	wantSummary(t, r, map[string]string{"echo": "succeeded"})
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Fatalf("the param value ran as a command:\n%s", r)
	}
	logs := gantry(t, dir, "logs", "1", "echo", "--project", dir)
	wantContains(t, "logs", logs.stdout, " "+evil+"\n")
}
