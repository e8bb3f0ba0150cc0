package helm_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// projectDir runs the pod's init container script on a ConfigMap volume
// laid out as the kubelet lays one out — the keys' files in a timestamped
// folder behind a ..data symlink, each item's top-level name a symlink
// into it, modes from defaultMode — and returns the project folder it made.
func projectDir(t *testing.T, pod corev1.PodSpec, cm *corev1.ConfigMap) string {
	t.Helper()
	vol := volume(t, pod, "config").ConfigMap
	config, project := t.TempDir(), t.TempDir()
	stamp := filepath.Join(config, "..2026_12_02_15_04_05.000000001")
	mode := fs.FileMode(0o644)
	if vol.DefaultMode != nil {
		mode = fs.FileMode(*vol.DefaultMode)
	}
	top := map[string]bool{}
	for _, it := range vol.Items {
		content, ok := cm.Data[it.Key]
		if !ok {
			t.Fatalf("volume item %s names key %q, which ConfigMap %s lacks", it.Path, it.Key, cm.Name)
		}
		name := filepath.Join(stamp, filepath.FromSlash(it.Path))
		mkdir(t, filepath.Dir(name))
		if err := os.WriteFile(name, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		top[strings.Split(it.Path, "/")[0]] = true
	}
	symlink(t, filepath.Base(stamp), filepath.Join(config, "..data"))
	for name := range top {
		symlink(t, filepath.Join("..data", name), filepath.Join(config, name))
	}

	if len(pod.InitContainers) != 1 {
		t.Fatalf("%d init containers, want the one that copies the project", len(pod.InitContainers))
	}
	init := pod.InitContainers[0]
	script := strings.Join(init.Args, " ")
	if strings.Join(init.Command, " ") != "sh -c" || !strings.Contains(script, "/config") || !strings.Contains(script, "/project") {
		t.Fatalf("init container runs %v %v, want sh -c copying /config to /project", init.Command, init.Args)
	}
	script = strings.NewReplacer("/config", config, "/project", project).Replace(script)
	if out, err := exec.Command("sh", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("init script %q: %v\n%s", script, err, out)
	}

	// The project holds the items as plain files and nothing of the
	// volume's machinery.
	var got []string
	err := filepath.WalkDir(project, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == project {
			return err
		}
		rel, _ := filepath.Rel(project, p)
		switch {
		case strings.HasPrefix(d.Name(), ".."):
			t.Errorf("the project holds the volume's %s", rel)
		case d.Type()&fs.ModeSymlink != 0:
			t.Errorf("the project's %s is a symlink", rel)
		case !d.IsDir():
			got = append(got, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(vol.Items) {
		t.Errorf("the project holds %v, want the %d items of the volume", got, len(vol.Items))
	}
	return project
}

// TestProjectScriptsStayExecutable: a task's ./scripts/x.sh must run
// from the copied project.
func TestProjectScriptsStayExecutable(t *testing.T) {
	t.Parallel()
	r := render(t, valuesYAML(t, `
project:
  files:
    gantry.yaml: "project: demo\n"
    scripts/hello.sh: "#!/bin/sh\necho hello from the script\n"
`))
	dir := projectDir(t, one(t, "Deployments", r.deployments).Spec.Template.Spec, one(t, "ConfigMaps", r.configMaps))
	out, err := exec.Command(filepath.Join(dir, "scripts", "hello.sh")).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "hello from the script" {
		t.Errorf("scripts/hello.sh: %v: %s", err, out)
	}
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}
