package process

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// cgroupSetup is where this process may create attempt cgroups, found once
// by detectCgroups.
type cgroupSetup struct {
	version     string // "v2" or "v1"
	memory, cpu bool   // limits enforceable

	v2Base string // v2: <unified>/<own>/gantry

	// v1: <hierarchy>/<own>/gantry per controller; "" when unusable.
	// cpu and cpuacct may be one directory when co-mounted.
	v1Memory, v1CPU, v1CPUAcct string

	pool cgroupPool // ended attempts' empty cgroups, for the next ones
}

// hierarchy is one mounted cgroup hierarchy.
type hierarchy struct{ mount, root string }

// detectCgroups finds a writable cgroup v2 hierarchy with the memory or
// cpu controller delegated, else writable v1 memory/cpu hierarchies, else
// a writable v2 hierarchy without controllers: that one enforces no limit
// but still holds, and kills, every process of an attempt. It returns nil
// when none is usable.
func detectCgroups(root string) (*cgroupSetup, error) {
	own, err := ownCgroups()
	if err != nil {
		return nil, err
	}
	v2, v1, err := cgroupMounts(root)
	if err != nil {
		return nil, err
	}
	var errs []error
	if v2.mount != "" {
		s, err := detectV2(v2, own[""], false)
		if s != nil {
			return s, nil
		}
		errs = append(errs, err)
	}
	s, err := detectV1(v1, own)
	if s != nil {
		return s, nil
	}
	errs = append(errs, err)
	if v2.mount != "" {
		s, err := detectV2(v2, own[""], true)
		if s != nil {
			return s, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

// detectV2 wants the memory or cpu controller delegated unless bare.
func detectV2(h hierarchy, own string, bare bool) (*cgroupSetup, error) {
	ownDir := cgroupDir(h, own)
	ctrl, err := os.ReadFile(filepath.Join(ownDir, "cgroup.subtree_control"))
	if err != nil {
		return nil, fmt.Errorf("cgroup v2: %w", err)
	}
	have := strings.Fields(string(ctrl))
	s := &cgroupSetup{version: "v2", v2Base: filepath.Join(ownDir, "gantry")}
	s.memory = slices.Contains(have, "memory")
	s.cpu = slices.Contains(have, "cpu")
	if !s.memory && !s.cpu && !bare {
		return nil, fmt.Errorf("cgroup v2: %s delegates neither memory nor cpu", ownDir)
	}
	if err := os.Mkdir(s.v2Base, 0o755); err != nil && !os.IsExist(err) {
		return nil, fmt.Errorf("cgroup v2: %w", err)
	}
	// The base holds no processes, so it may pass the controllers on.
	for _, c := range []string{"memory", "cpu"} {
		if (c == "memory" && s.memory) || (c == "cpu" && s.cpu) {
			if err := writeFile(filepath.Join(s.v2Base, "cgroup.subtree_control"), "+"+c); err != nil {
				return nil, fmt.Errorf("cgroup v2: enable %s: %w", c, err)
			}
		}
	}
	if err := probe(s.v2Base, "cgroup.procs"); err != nil {
		return nil, fmt.Errorf("cgroup v2: %w", err)
	}
	removeStale(s.v2Base)
	return s, nil
}

func detectV1(mounts map[string]hierarchy, own map[string]string) (*cgroupSetup, error) {
	s := &cgroupSetup{version: "v1"}
	var errs []error
	base := func(controller, file string) string {
		h, ok := mounts[controller]
		if !ok {
			errs = append(errs, fmt.Errorf("cgroup v1: no %s hierarchy", controller))
			return ""
		}
		dir := filepath.Join(cgroupDir(h, own[controller]), "gantry")
		if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
			errs = append(errs, fmt.Errorf("cgroup v1 %s: %w", controller, err))
			return ""
		}
		if err := probe(dir, file); err != nil {
			errs = append(errs, fmt.Errorf("cgroup v1 %s: %w", controller, err))
			return ""
		}
		removeStale(dir)
		return dir
	}
	s.v1Memory = base("memory", "memory.limit_in_bytes")
	s.v1CPU = base("cpu", "cpu.cfs_quota_us")
	s.v1CPUAcct = base("cpuacct", "cpuacct.usage")
	s.memory, s.cpu = s.v1Memory != "", s.v1CPU != ""
	if !s.memory && !s.cpu {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// ownCgroups maps each v1 controller, and "" for v2, to this process's
// cgroup path, from /proc/self/cgroup.
func ownCgroups() (map[string]string, error) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	own := map[string]string{}
	for line := range strings.Lines(string(data)) {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			own[""] = parts[2]
		}
		for _, c := range strings.Split(parts[1], ",") {
			own[c] = parts[2]
		}
	}
	return own, nil
}

// cgroupMounts finds the v2 hierarchy and the v1 hierarchy of each
// controller, under root when set, else from /proc/self/mountinfo.
func cgroupMounts(root string) (hierarchy, map[string]hierarchy, error) {
	v1 := map[string]hierarchy{}
	if root != "" {
		var v2 hierarchy
		for _, dir := range []string{root, filepath.Join(root, "unified")} {
			if _, err := os.Stat(filepath.Join(dir, "cgroup.controllers")); err == nil {
				v2 = hierarchy{mount: dir, root: "/"}
				break
			}
		}
		for _, c := range []string{"memory", "cpu", "cpuacct"} {
			for _, name := range []string{c, "cpu,cpuacct", "cpuacct,cpu"} {
				if !strings.Contains(name, c) {
					continue
				}
				dir := filepath.Join(root, name)
				if _, err := os.Stat(filepath.Join(dir, "cgroup.procs")); err == nil && dir != v2.mount {
					v1[c] = hierarchy{mount: dir, root: "/"}
					break
				}
			}
		}
		return v2, v1, nil
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return hierarchy{}, nil, err
	}
	defer f.Close()
	var v2 hierarchy
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(tail) < 3 {
			continue
		}
		h := hierarchy{mount: fields[4], root: fields[3]}
		switch tail[0] {
		case "cgroup2":
			v2 = h
		case "cgroup":
			for _, opt := range strings.Split(tail[2], ",") {
				v1[opt] = h
			}
		}
	}
	return v2, v1, sc.Err()
}

// cgroupDir is the directory of cgroup path own in hierarchy h.
func cgroupDir(h hierarchy, own string) string {
	if h.root != "/" {
		own = strings.TrimPrefix(own, h.root)
	}
	return filepath.Join(h.mount, own)
}

// probe checks that children can be made under dir and carry file.
func probe(dir, file string) error {
	p := filepath.Join(dir, fmt.Sprintf("probe-%d", os.Getpid()))
	if err := os.Mkdir(p, 0o755); err != nil && !os.IsExist(err) {
		return err
	}
	defer syscall.Rmdir(p)
	_, err := os.Stat(filepath.Join(p, file))
	return err
}

// removeStale removes attempt cgroups left by executors that died; a
// directory is named after the pid that made it and that process's start
// time (<pid>-<start>-<n>; before, <pid>-<n>), and is kept while that
// process lives: not while another process has its pid.
func removeStale(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, ent := range entries {
		parts := strings.Split(ent.Name(), "-")
		pid, err := strconv.Atoi(parts[0])
		if !ent.IsDir() || err != nil || len(parts) < 2 {
			continue
		}
		alive := syscall.Kill(pid, 0) != syscall.ESRCH
		if start, err := strconv.ParseUint(parts[1], 10, 64); err == nil && len(parts) == 3 && alive {
			// Unknown (another user's /proc hidden): left alone.
			if now := startTicks(pid); now != 0 {
				alive = now == start
			}
		}
		if !alive {
			_ = syscall.Rmdir(filepath.Join(dir, ent.Name())) // busy: still has processes
		}
	}
}

// writeFile writes value to a cgroup or /proc file with open(2),
// write(2) and close(2) alone: an os.File would also register the
// descriptor with the runtime's poller and set its flags, work an
// attempt's dozen control files do not need.
func writeFile(path, value string) error {
	fd, err := openRetry(path, syscall.O_WRONLY|syscall.O_CLOEXEC)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	b := []byte(value)
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			_ = syscall.Close(fd)
			return &os.PathError{Op: "write", Path: path, Err: err}
		}
		b = b[n:]
	}
	if err := syscall.Close(fd); err != nil {
		return &os.PathError{Op: "close", Path: path, Err: err}
	}
	return nil
}

// readFile reads a small cgroup or /proc file with open(2), read(2) and
// close(2) alone (see writeFile).
func readFile(path string) ([]byte, error) {
	fd, err := openRetry(path, syscall.O_RDONLY|syscall.O_CLOEXEC)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return readClose(fd, path)
}

// readFileAt is readFile of name in the directory dirfd.
func readFileAt(dirfd int, name string) ([]byte, error) {
	var fd int
	var err error
	for {
		if fd, err = unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC, 0); err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return readClose(fd, name)
}

// readClose reads fd to its end and closes it.
func readClose(fd int, path string) ([]byte, error) {
	defer syscall.Close(fd)
	buf := make([]byte, 0, 512)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

func openRetry(path string, mode int) (int, error) {
	for {
		fd, err := syscall.Open(path, mode, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}
