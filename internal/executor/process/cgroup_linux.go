package process

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cfsPeriod is the CPU bandwidth period, in microseconds, for CPU quotas.
const cfsPeriod = 100_000

var cgroupSeq atomic.Uint64

// attemptCgroup is the cgroup of one attempt: one directory on v2, one per
// hierarchy on v1.
type attemptCgroup struct {
	version string
	dirs    []string // every directory, for joining, killing and removal
	// dirFDs are dirs opened (O_PATH), which follow a directory the task
	// renames: its processes are listed, and it is removed, wherever it
	// went. -1 where one could not be opened.
	dirFDs  []int
	memDir  string // memory controller; "" when not joined
	acctDir string // CPU accounting; "" when not joined
	fd      int    // v2: the directory, for CLONE_INTO_CGROUP; -1 on v1
	// v2: the kernel (5.14+) kills the whole cgroup through cgroup.kill;
	// older ones are frozen and killed pid by pid.
	canKill bool

	key cgroupKey // the limits it was made with
	// The cumulative counters as the previous attempt in this cgroup left
	// them: an attempt's figures are what it added.
	cpuBase time.Duration
	oomBase int64
	// reusable is false once a figure could not be read or reset, or a
	// process would not die: such a cgroup is removed, never reused.
	reusable bool
	// The inotify watches on its directories that tell a kept cgroup
	// something other than Gantry changed (see Reuse); nil when none.
	pool *cgroupPool
	wds  []int32
	// tainted is set, under pool.mu, once a watch saw such a change; kept
	// while the cgroup waits in the pool.
	tainted, kept bool

	// The control files read or written at every attempt, by path, open
	// while the cgroup exists: a kept cgroup's figures cost one pread(2)
	// each, not an open, two reads and a close.
	filesMu sync.Mutex
	files   map[controlFile]int
}

// controlFile is a control file as opened: for reading or for writing.
type controlFile struct {
	path string
	mode int
}

// killTimeout bounds how long the end of an attempt waits for its cgroup
// to empty: a process in uninterruptible sleep dies only when it wakes.
const killTimeout = 5 * time.Second

// create makes the attempt's cgroup with its limits set.
func (s *cgroupSetup) create(memLimit, milliCPU int64) (cg *attemptCgroup, err error) {
	// The pid and its start time: a Gantry that gets the pid of one that
	// died (a container's first process, restarted) makes other names, and
	// removeStale knows that one's for stale.
	name := fmt.Sprintf("%d-%d-%d", os.Getpid(), ownStart(), cgroupSeq.Add(1))
	cg = &attemptCgroup{version: s.version, fd: -1, key: cgroupKey{memLimit, milliCPU}, reusable: true}
	defer func() {
		if err != nil {
			cg.remove()
		}
	}()
	if s.version == "v2" {
		return cg, cg.createV2(s, filepath.Join(s.v2Base, name), memLimit, milliCPU)
	}
	if err := cg.createV1(s, name, memLimit, milliCPU); err != nil {
		return cg, err
	}
	s.pool.watch(cg) // after Gantry's own writes
	return cg, nil
}

// ownStart is this process's start time, in clock ticks since boot.
var ownStart = sync.OnceValue(func() uint64 { return startTicks(os.Getpid()) })

func (cg *attemptCgroup) createV2(s *cgroupSetup, dir string, memLimit, milliCPU int64) error {
	if err := cg.mkdir(dir); err != nil {
		return err
	}
	if s.memory {
		cg.memDir = dir
	}
	cg.acctDir = dir
	if memLimit > 0 && s.memory {
		if err := writeFile(filepath.Join(dir, "memory.max"), strconv.FormatInt(memLimit, 10)); err != nil {
			return fmt.Errorf("set memory.max: %w", err)
		}
		_ = writeFile(filepath.Join(dir, "memory.swap.max"), "0") // absent without swap accounting
	}
	if milliCPU > 0 && s.cpu {
		if err := writeFile(filepath.Join(dir, "cpu.max"), fmt.Sprintf("%d %d", cpuQuota(milliCPU), cfsPeriod)); err != nil {
			return fmt.Errorf("set cpu.max: %w", err)
		}
	}
	_, err := os.Stat(filepath.Join(dir, "cgroup.kill"))
	cg.canKill = err == nil
	if cg.dirFDs[0] < 0 {
		return fmt.Errorf("open %s: cannot", dir)
	}
	cg.fd = cg.dirFDs[0] // closed with dirFDs
	return nil
}

func (cg *attemptCgroup) createV1(s *cgroupSetup, name string, memLimit, milliCPU int64) error {
	if s.v1Memory != "" {
		dir := filepath.Join(s.v1Memory, name)
		if err := cg.mkdir(dir); err != nil {
			return err
		}
		cg.memDir = dir
		if memLimit > 0 {
			if err := writeFile(filepath.Join(dir, "memory.limit_in_bytes"), strconv.FormatInt(memLimit, 10)); err != nil {
				return fmt.Errorf("set memory.limit_in_bytes: %w", err)
			}
			// Memory plus swap at the same figure: no swapping past the
			// limit. Absent without swap accounting.
			_ = writeFile(filepath.Join(dir, "memory.memsw.limit_in_bytes"), strconv.FormatInt(memLimit, 10))
		}
	}
	// The cpu hierarchy only for a quota: accounting is cpuacct's, and
	// containment needs one hierarchy.
	if s.v1CPU != "" && (milliCPU > 0 || s.v1CPU == s.v1CPUAcct) {
		dir := filepath.Join(s.v1CPU, name)
		if err := cg.mkdir(dir); err != nil {
			return err
		}
		if milliCPU > 0 {
			if err := writeFile(filepath.Join(dir, "cpu.cfs_period_us"), strconv.Itoa(cfsPeriod)); err != nil {
				return fmt.Errorf("set cpu.cfs_period_us: %w", err)
			}
			if err := writeFile(filepath.Join(dir, "cpu.cfs_quota_us"), strconv.FormatInt(cpuQuota(milliCPU), 10)); err != nil {
				return fmt.Errorf("set cpu.cfs_quota_us: %w", err)
			}
		}
	}
	if s.v1CPUAcct != "" {
		dir := filepath.Join(s.v1CPUAcct, name)
		if err := cg.mkdir(dir); err != nil { // the cpu directory when co-mounted
			return err
		}
		cg.acctDir = dir
	}
	return nil
}

func (cg *attemptCgroup) mkdir(dir string) error {
	if slices.Contains(cg.dirs, dir) {
		return nil
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		fd = -1
	}
	cg.dirs, cg.dirFDs = append(cg.dirs, dir), append(cg.dirFDs, fd)
	return nil
}

func cpuQuota(milliCPU int64) int64 {
	return max(milliCPU*cfsPeriod/1000, 1000) // the kernel's minimum is 1ms
}

// join moves pid into every directory (v1, where a child cannot be cloned
// into its cgroup).
func (cg *attemptCgroup) join(pid int) error {
	for _, dir := range cg.dirs {
		if err := cg.write(filepath.Join(dir, "cgroup.procs"), strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("join %s: %w", dir, err)
		}
	}
	return nil
}

// pids lists the processes still in the cgroup.
func (cg *attemptCgroup) pids() []int {
	seen := map[int]bool{}
	var pids []int
	for i, dir := range cg.dirs {
		// Opened afresh: v1 keeps the list an open file read first for
		// a second, and a kept descriptor would see processes gone.
		var data []byte
		var err error
		if fd := cg.dirFDs[i]; fd >= 0 {
			data, err = readFileAt(fd, "cgroup.procs")
		} else {
			data, err = readFile(filepath.Join(dir, "cgroup.procs"))
		}
		if err != nil {
			cg.reusable = false // unknown, so not known to be empty
		}
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil && !seen[pid] {
				seen[pid] = true
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// signal sends sig to every process in the cgroup.
func (cg *attemptCgroup) signal(sig syscall.Signal) {
	if sig == syscall.SIGKILL && cg.canKill {
		if writeFile(filepath.Join(cg.dirs[0], "cgroup.kill"), "1") == nil {
			// Linux (6.18 at least) then kills every child cloned into
			// this cgroup from a cgroup never killed: Gantry's children.
			cg.reusable = false
			return
		}
	}
	for _, pid := range cg.pids() {
		_ = syscall.Kill(pid, sig)
	}
}

// killAll SIGKILLs every process in the cgroup, however it left the
// process group, and returns once the cgroup is empty. Without
// cgroup.kill, a v2 cgroup is frozen first so that nothing forks between
// listing and killing (a frozen process still dies of SIGKILL); on v1 the
// list is killed until it stays empty.
func (cg *attemptCgroup) killAll() error {
	if len(cg.dirs) == 0 || len(cg.pids()) == 0 {
		return nil
	}
	if cg.version == "v2" && !cg.canKill {
		_ = writeFile(filepath.Join(cg.dirs[0], "cgroup.freeze"), "1")
		cg.reusable = false // it stays frozen
	}
	deadline := time.Now().Add(killTimeout)
	for {
		cg.signal(syscall.SIGKILL)
		time.Sleep(time.Millisecond) // the kernel's exit, not a guess at the task
		left := cg.pids()
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			cg.reusable = false
			return fmt.Errorf("cgroup %s: %d processes did not die: %v", cg.dirs[0], len(left), left)
		}
	}
}

// usage returns the attempt's peak memory in bytes and the CPU time it
// used: the cgroup's since the previous attempt in it ended; zero where
// the kernel does not say.
func (cg *attemptCgroup) usage() (peak int64, cpu time.Duration) {
	var total time.Duration
	if cg.version == "v2" {
		if cg.memDir != "" {
			peak = cg.readInt(filepath.Join(cg.memDir, "memory.peak"))
		}
		usec, ok := cg.readKeyed(filepath.Join(cg.acctDir, "cpu.stat"), "usage_usec")
		cg.reusable = cg.reusable && ok
		total = time.Duration(usec) * time.Microsecond
	} else {
		if cg.memDir != "" {
			peak = cg.readInt(filepath.Join(cg.memDir, "memory.max_usage_in_bytes"))
		}
		if cg.acctDir != "" {
			total = time.Duration(cg.readInt(filepath.Join(cg.acctDir, "cpuacct.usage")))
		}
	}
	cpu, cg.cpuBase = total-cg.cpuBase, total
	if cpu < 0 { // a counter that went back: trust neither figure again
		cpu, cg.reusable = 0, false
	}
	return peak, cpu
}

// oomKills returns how many processes of the cgroup the kernel killed for
// memory, whichever process it was: a child killed while the leader goes
// on to exit 0 counts as much as the leader itself. exact is false on
// kernels before 4.13, which do not count kills: there n is 1 when the
// cgroup hit its limit at all, which page cache reclaimed at the limit
// also does, so it is evidence only for an attempt that failed.
func (cg *attemptCgroup) oomKills() (n int64, exact bool) {
	if cg.memDir == "" {
		return 0, true
	}
	var total int64
	if cg.version == "v2" {
		total, _ = cg.readKeyed(filepath.Join(cg.memDir, "memory.events"), "oom_kill")
	} else if k, ok := cg.readKeyed(filepath.Join(cg.memDir, "memory.oom_control"), "oom_kill"); ok {
		total = k
	} else {
		cg.reusable = false
		if cg.readInt(filepath.Join(cg.memDir, "memory.failcnt")) > 0 {
			return 1, false
		}
		return 0, false
	}
	n, cg.oomBase = total-cg.oomBase, total
	if n < 0 {
		n, cg.reusable = 0, false
	}
	return n, true
}

// remove deletes the cgroup's directories. A directory whose last
// process is still exiting is busy for a moment, so removal is retried.
func (cg *attemptCgroup) remove() error {
	cg.pool.unwatch(cg)
	cg.fd = -1 // one of dirFDs
	cg.filesMu.Lock()
	for _, fd := range cg.files {
		_ = syscall.Close(fd)
	}
	cg.files = nil
	cg.filesMu.Unlock()
	var errs []error
	for i, dir := range cg.dirs {
		if fd := cg.dirFDs[i]; fd >= 0 {
			// Where the directory is now: a task may have renamed it.
			if now, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd)); err == nil && filepath.IsAbs(now) && now != dir {
				_ = syscall.Rmdir(dir) // what the task made in its place
				dir = now
			}
			_ = syscall.Close(fd)
		}
		var err error
		for i := 0; i < 50; i++ {
			// rmdir(2) itself: os.Remove tries unlink(2) first, which
			// fails on every directory.
			if err = syscall.Rmdir(dir); err != syscall.EBUSY {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		if err != nil && err != syscall.ENOENT {
			errs = append(errs, fmt.Errorf("remove %s: %w", dir, err))
		}
	}
	cg.dirs, cg.dirFDs = nil, nil
	return errors.Join(errs...)
}

// file returns the kept descriptor of control file path, opening it on
// first use.
func (cg *attemptCgroup) file(path string, mode int) (int, error) {
	cg.filesMu.Lock()
	defer cg.filesMu.Unlock()
	key := controlFile{path, mode}
	if fd, ok := cg.files[key]; ok {
		return fd, nil
	}
	fd, err := openRetry(path, mode|syscall.O_CLOEXEC)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: path, Err: err}
	}
	if cg.files == nil {
		cg.files = map[controlFile]int{}
	}
	cg.files[key] = fd
	return fd, nil
}

// read reads control file path whole. Every cgroup file is a seq_file,
// which a read fills as far as it can: a short read is the end.
func (cg *attemptCgroup) read(path string) ([]byte, error) {
	fd, err := cg.file(path, syscall.O_RDONLY)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 0, 512)
	for {
		n, err := syscall.Pread(fd, buf[len(buf):cap(buf)], int64(len(buf)))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		buf = buf[:len(buf)+n]
		if len(buf) < cap(buf) {
			return buf, nil
		}
		buf = append(buf, 0)[:len(buf)]
	}
}

// write writes value to control file path in one write(2).
func (cg *attemptCgroup) write(path, value string) error {
	fd, err := cg.file(path, syscall.O_WRONLY)
	if err != nil {
		return err
	}
	for {
		_, err := syscall.Write(fd, []byte(value))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "write", Path: path, Err: err}
		}
		return nil
	}
}

// readInt reads a file holding one number; 0 where it cannot, and then
// the cgroup is not reused: a figure not read is not known to be clean.
func (cg *attemptCgroup) readInt(path string) int64 {
	data, err := cg.read(path)
	if err != nil {
		cg.reusable = false
		return 0
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(data)), 10, 64)
	if err != nil {
		cg.reusable = false
	}
	return n
}

// readKeyed reads the value of key from a flat-keyed file ("key value" lines).
func (cg *attemptCgroup) readKeyed(path, key string) (int64, bool) {
	data, err := cg.read(path)
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(data)) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if ok && k == key {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
