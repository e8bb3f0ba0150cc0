package spec

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestExamplesRun runs every example pipeline's tasks in order, in a copy
// of its project, the way the engine would: rendered `run:` by `sh -c`
// in the task's working directory with the GANTRY_* variables set.
func TestExamplesRun(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	projects, _ := filepath.Glob(filepath.Join(examplesDir, "*", ProjectFile))
	for _, pf := range projects {
		src := filepath.Dir(pf)
		t.Run(filepath.Base(src), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
				t.Fatal(err)
			}
			_, ps, err := LoadProject(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				g, err := p.Graph()
				if err != nil {
					t.Fatal(err)
				}
				order, err := g.Order()
				if err != nil {
					t.Fatal(err)
				}
				outputs := map[string]map[string]string{}
				envDir := t.TempDir()
				for _, id := range order {
					runTask(t, p, p.Task(id), dir, outputs, envDir)
				}
			}
		})
	}
}

// runTask runs task with what the tasks before it reported (outputs,
// where it adds its own); a throwaway environment's folder is envDir.
func runTask(t *testing.T, p *Pipeline, task *Task, dir string, outputs map[string]map[string]string, envDir string) {
	t.Helper()
	if task.Kind == KindApproval {
		return // it runs nothing: the engine's tests cover it
	}
	v := Vars{Params: map[string]string{}, RunID: 7, Task: task.ID, Attempt: 1, Env: "staging", Outputs: outputs}
	v.Interval.Start, v.Interval.End = "2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z"
	for _, prm := range p.Params {
		v.Params[prm.Name] = prm.Default
	}
	cmdline, tplEnv, err := Render(task.Run, v)
	if err != nil {
		t.Fatalf("%s: render: %v", task.ID, err)
	}
	output := filepath.Join(t.TempDir(), "output")
	cmd := exec.Command("/bin/sh", "-c", cmdline)
	cmd.Dir = p.WorkDir(task)
	cmd.Env = append(os.Environ(),
		"GANTRY_INTERVAL_START="+v.Interval.Start, "GANTRY_INTERVAL_END="+v.Interval.End,
		"GANTRY_OUTPUT="+output, "GANTRY_RUN_ID=7", "GANTRY_TASK="+task.ID, "GANTRY_ATTEMPT=1")
	if task.Ephemeral {
		cmd.Env = append(cmd.Env, "GANTRY_ENV_DIR="+envDir, "GANTRY_ENV_NAME="+task.Environment+"-run-7")
	}
	for _, e := range task.Env {
		cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
	}
	cmd.Env = append(cmd.Env, tplEnv...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %s: %v\n%s", task.ID, cmdline, err, out)
	}
	if !strings.HasPrefix(cmd.Dir, dir) {
		t.Fatalf("%s ran outside the project: %s", task.ID, cmd.Dir)
	}
	reported, _ := os.ReadFile(output)
	if rc := p.Monitoring.RowCounts; rc != nil && rc.Task == task.ID && !strings.Contains(string(reported), "rows=") {
		t.Errorf("%s: monitored task wrote no rows= output: %q", task.ID, reported)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(reported)), "\n") {
		if k, val, ok := strings.Cut(line, "="); ok {
			if outputs[task.ID] == nil {
				outputs[task.ID] = map[string]string{}
			}
			outputs[task.ID][k] = val
		}
	}
}
