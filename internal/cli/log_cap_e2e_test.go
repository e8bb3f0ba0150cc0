package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// logs.max_size in gantry.yaml caps what `gantry run` keeps of a task's
// output: the head and the tail, with a mark where the middle was cut.
func TestLogCapFromProject(t *testing.T) {
	t.Parallel()
	dir, file := project(t, "pipelines/noisy.yaml", `pipeline: noisy
tasks:
  - id: talk
    run: |
      echo FIRST-LINE
      i=0; while [ $i -lt 20000 ]; do echo "line $i of a task that talks too much"; i=$((i+1)); done
      echo LAST-LINE
`)
	writeFile(t, filepath.Join(dir, "gantry.yaml"), "logs: {max_size: 16Ki}\n")
	r := gantry(t, dir, "run", file)
	wantCode(t, r, 0)
	logs, _ := filepath.Glob(filepath.Join(dir, ".gantry", "logs", "*", "talk.1.log"))
	if len(logs) != 1 {
		t.Fatalf("attempt logs %v, want one", logs)
	}
	b, err := os.ReadFile(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	if len(b) > 16<<10+512 {
		t.Errorf("log is %d bytes, want about the 16 KiB cap", len(b))
	}
	for _, want := range []string{"FIRST-LINE", "LAST-LINE", "of output cut here (log capped at "} {
		if !strings.Contains(log, want) {
			t.Errorf("the capped log lacks %q:\n%.300s\n...\n%s", want, log, log[max(0, len(log)-300):])
		}
	}
}
