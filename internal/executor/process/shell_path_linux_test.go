package process

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gantryhq/gantry/internal/executor"
)

// TestRunIgnoresShOnPath: a `sh` earlier on PATH, such as one a project
// ships in its bin/, does not get to run the tasks; /bin/sh does.
func TestRunIgnoresShOnPath(t *testing.T) {
	fake := t.TempDir()
	marker := filepath.Join(t.TempDir(), "fake-sh-ran")
	script := "#!/bin/sh\ntouch '" + marker + "'\nexec /bin/sh \"$@\"\n"
	if err := os.WriteFile(filepath.Join(fake, "sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", fake+string(os.PathListSeparator)+os.Getenv("PATH"))
	e := newExecutor(t, Options{DisableCgroups: true})
	a := attempt(t, "echo ran")
	res := e.Run(context.Background(), a)
	if res.Outcome != executor.Succeeded {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Error)
	}
	if got := readLog(t, a); got != "ran\n" {
		t.Fatalf("log = %q, want %q", got, "ran\n")
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the task ran with the sh found on PATH, not /bin/sh")
	}
}
