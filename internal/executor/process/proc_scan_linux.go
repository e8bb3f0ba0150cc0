package process

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Process flags from /proc/PID/stat field 9 (include/linux/sched.h).
const (
	pfExiting = 0x00000004
	pfKthread = 0x00200000
)

// procScan finds processes by entries of their environment, which every
// descendant of an attempt inherits unless it scrubs it: crash recovery
// finds an orphaned attempt this way, and an attempt without a cgroup its
// escapees (setsid, double fork). One scan reuses one buffer.
type procScan struct{ buf []byte }

// each calls fn with the pid of every live process, other than this one,
// whose environment holds every entry of env.
//
// A process in the middle of exec has a new memory map whose environment
// the kernel has not laid out yet, and reads as empty. each counts those
// started at or after since (clock ticks after boot, as in /proc/PID/stat
// field 22; an attempt's escapees start after its leader) and returns the
// count, so that a caller that must miss nothing can look again.
func (sc *procScan) each(env []string, since uint64, fn func(pid int)) (pending int) {
	d, err := os.Open("/proc")
	if err != nil {
		return 0
	}
	names, _ := d.Readdirnames(-1)
	_ = d.Close()
	self := os.Getpid()
	for _, name := range names {
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		pid, err := strconv.Atoi(name)
		if err != nil || pid == self {
			continue
		}
		environ, err := sc.environ(pid)
		if err != nil { // gone, a kernel thread, or not ours to read
			continue
		}
		if len(environ) == 0 {
			switch sc.emptyEnviron(pid, since) {
			case envInExec:
				pending++
				continue
			case envLaidOut: // exec finished since the read
				if environ, err = sc.environ(pid); err != nil || len(environ) == 0 {
					continue
				}
			default:
				continue
			}
		}
		if holdsAll(environ, env) {
			fn(pid)
		}
	}
	return pending
}

type envState int

const (
	envNone    envState = iota // dying, a zombie, or not worth waiting for
	envInExec                  // exec has not laid the environment out yet
	envLaidOut                 // there is one now
)

// emptyEnviron says why pid's environment read as empty.
func (sc *procScan) emptyEnviron(pid int, since uint64) envState {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return envNone
	}
	f, ok := statFields(stat)
	if !ok || len(f) < 49 || f[0] == "Z" || f[0] == "X" {
		return envNone
	}
	flags, _ := strconv.ParseUint(f[6], 10, 64)
	if flags&(pfExiting|pfKthread) != 0 {
		return envNone
	}
	if f[48] != "0" { // field 51, env_end
		return envLaidOut
	}
	start, _ := strconv.ParseUint(f[19], 10, 64) // field 22, starttime
	if start < since {
		return envNone
	}
	return envInExec
}

// environ reads /proc/PID/environ into the scan's buffer.
func (sc *procScan) environ(pid int) ([]byte, error) {
	fd, err := syscall.Open("/proc/"+strconv.Itoa(pid)+"/environ", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	if sc.buf == nil {
		sc.buf = make([]byte, 16<<10)
	}
	n := 0
	for {
		m, err := syscall.Read(fd, sc.buf[n:])
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return nil, err
		}
		n += m
		// The kernel fills the buffer as far as the environment goes: a
		// short read is the end, and saves a read per process.
		if n < len(sc.buf) {
			return sc.buf[:n], nil
		}
		sc.buf = append(sc.buf, make([]byte, len(sc.buf))...)
	}
}

// killMarked SIGKILLs every process whose environment holds every entry of
// env, and returns once none is left (or, with an error, after
// killTimeout). Each is signalled through a pidfd taken before its
// environment is read again, so a pid reused by another program's process
// in between is never signalled.
func killMarked(env []string, since uint64) error {
	var sc procScan
	deadline := time.Now().Add(killTimeout)
	for {
		var found []int
		pending := sc.each(env, since, func(pid int) {
			found = append(found, pid)
			sc.kill(pid, env)
		})
		if len(found) == 0 && pending == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kill escaped processes: still alive %v, %d in exec", found, pending)
		}
		time.Sleep(time.Millisecond) // the kernel's exit, not a guess at the task
	}
}

// kill SIGKILLs pid if, once held by a pidfd, it still carries env.
func (sc *procScan) kill(pid int, env []string) {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, syscall.ENOSYS) { // before Linux 5.3
		_ = syscall.Kill(pid, syscall.SIGKILL)
		return
	}
	if err != nil {
		return
	}
	defer unix.Close(fd)
	if environ, err := sc.environ(pid); err == nil && holdsAll(environ, env) {
		_ = unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	}
}

// startTicks is when pid started, in clock ticks after boot; 0 when
// unknown.
func startTicks(pid int) uint64 {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	f, ok := statFields(stat)
	if !ok || len(f) < 20 {
		return 0
	}
	n, _ := strconv.ParseUint(f[19], 10, 64)
	return n
}
