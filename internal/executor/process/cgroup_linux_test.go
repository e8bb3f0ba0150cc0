package process

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestCgroupV2Plumbing exercises the v2 mechanics — clone into the cgroup,
// list, kill with cgroup.kill (or, as before Linux 5.14, by freezing and
// killing pid by pid), remove — on any writable cgroup2 hierarchy, even one
// without controllers (as on hybrid v1 machines).
func TestCgroupV2Plumbing(t *testing.T) {
	t.Parallel()
	for _, canKill := range []bool{true, false} {
		t.Run("cgroup.kill "+strconv.FormatBool(canKill), func(t *testing.T) {
			t.Parallel()
			testCgroupV2Plumbing(t, canKill)
		})
	}
}

func testCgroupV2Plumbing(t *testing.T, canKill bool) {
	own, err := ownCgroups()
	if err != nil {
		t.Skip(err)
	}
	v2, _, err := cgroupMounts("")
	if err != nil || v2.mount == "" {
		t.Skip("no cgroup2 mount")
	}
	base := filepath.Join(cgroupDir(v2, own[""]), "gantry-test-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatBool(canKill))
	if err := os.Mkdir(base, 0o755); err != nil {
		t.Skipf("cgroup2 not writable: %v", err)
	}
	t.Cleanup(func() { os.Remove(base) })

	s := &cgroupSetup{version: "v2", v2Base: base}
	cg, err := s.create(0, 0)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = cg.killAll(); _ = cg.remove() }) // a failed run's fork loop
	dir := cg.dirs[0]
	if !canKill {
		cg.canKill = false
	} else if !cg.canKill {
		t.Skip("no cgroup.kill: Linux before 5.14")
	}
	// A shell that leaves the process group, and a fork loop; only the
	// cgroup holds them.
	cmd := exec.Command("sh", "-c", "setsid sleep 1000 & setsid sh -c 'while :; do sleep 1000 & done' & exec sleep 1000")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, UseCgroupFD: true, CgroupFD: cg.fd}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start in cgroup: %v", err)
	}
	data, _ := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cgroup")
	if rel := strings.TrimPrefix(dir, v2.mount); !strings.Contains(string(data), "0::"+rel+"\n") {
		t.Errorf("child cgroups %q, want 0::%s", data, rel)
	}
	waitFor(t, func() bool { return len(cg.pids()) >= 4 })
	escapee := cg.pids()
	if err := cg.killAll(); err != nil {
		t.Fatal(err)
	}
	if left := cg.pids(); len(left) > 0 {
		t.Errorf("killAll returned with %v in the cgroup", left)
	}
	_ = cmd.Wait()
	for _, pid := range escapee {
		assertGone(t, pid)
	}
	if err := cg.remove(); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still there: %v", dir, err)
	}
}
