package process

import (
	"errors"
	"path/filepath"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// cgroupKey is the limits a cgroup was made with: a kept cgroup serves
// only an attempt with the same ones.
type cgroupKey struct{ memLimit, milliCPU int64 }

// Reuse. Making a cgroup and removing it again (mkdir and rmdir of one
// directory per hierarchy, each of which the kernel sets up and tears
// down for every controller) costs more of Gantry's own CPU than the rest
// of a short attempt. So on cgroup v1 the cgroup of an attempt that ended
// with nothing left in it is kept for the next attempt with the same
// limits, when nothing of the first can reach the second:
//
//   - CPU time (cpuacct.usage) and the oom_kill count are cumulative: each
//     attempt reports what it added since the previous attempt's end, when
//     the cgroup was empty.
//   - The peak (memory.max_usage_in_bytes) is reset by writing 0 to it,
//     which sets it to what the cgroup still has charged: page cache the
//     earlier attempts left. The cgroup is kept only while that is at most
//     reuseResidual, so an attempt's peak is never over by more; a task
//     that leaves more (it wrote a big file, say) gets a fresh cgroup.
//   - A task runs as Gantry's user and may write its own cgroup's files
//     (a limit, oom_control, a child cgroup holding a process that then
//     outlives the attempt). An inotify watch on each directory sees every
//     such change, by the task or anyone else, while the cgroup is in use
//     and while it is kept; a changed cgroup is removed, never handed on.
//     Gantry's own writes (cgroup.procs, the peak's reset) are the only
//     ones that do not count.
//   - A cgroup with a CPU quota is not kept: the quota the last attempt
//     spent in the current period would throttle the next one.
//   - Before Linux 4.13 v1 counts no OOM kills, only a limit's hits: such
//     a cgroup is not kept, nor one whose figures could not be read.
//   - v2 cgroups are never kept: v2's peak (memory.peak) cannot be reset
//     before Linux 6.12, and a v2 cgroup that was once killed through
//     cgroup.kill, by Gantry or anyone, kills every child later cloned
//     into it (Linux 6.18).
//
// At most maxIdleCgroups are kept (each holds seven descriptors open);
// Executor.Close removes them, and a process that dies with some kept
// leaves them to the next start's removeStale.
const (
	reuseResidual  = 1 << 20
	maxIdleCgroups = 32
)

// watchMask is what taints a watched cgroup directory: a change to a
// file, a child cgroup, the directory renamed or removed.
const watchMask = unix.IN_MODIFY | unix.IN_ATTRIB | unix.IN_CREATE | unix.IN_MOVED_TO |
	unix.IN_MOVE_SELF | unix.IN_DELETE_SELF

// ownWrites are the files Gantry itself writes in a cgroup in use: a
// change to them taints nothing then. Once the cgroup is kept, any change
// at all does: a process that moves itself into a kept cgroup would be in
// the next attempt's.
var ownWrites = map[string]bool{"cgroup.procs": true, "tasks": true, "memory.max_usage_in_bytes": true}

// cgroupPool keeps the empty cgroups of ended attempts, by their limits,
// and watches every cgroup that may be kept.
type cgroupPool struct {
	mu     sync.Mutex
	idle   map[cgroupKey][]*attemptCgroup
	n      int
	closed bool

	inotify int                      // 0 until first used, -1 when unusable
	watched map[int32]*attemptCgroup // by watch descriptor
}

// watch puts inotify watches on cg's directories, when cg may be kept.
func (p *cgroupPool) watch(cg *attemptCgroup) {
	if cg.version != "v1" || cg.key.milliCPU > 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || p.inotify < 0 {
		return
	}
	if p.inotify == 0 {
		fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
		if err != nil {
			p.inotify = -1
			return
		}
		p.inotify, p.watched = fd, map[int32]*attemptCgroup{}
	}
	for _, dir := range cg.dirs {
		wd, err := unix.InotifyAddWatch(p.inotify, dir, watchMask)
		if err != nil { // out of watches, say: not kept
			p.forget(cg)
			return
		}
		cg.wds = append(cg.wds, int32(wd))
		p.watched[int32(wd)] = cg
	}
	cg.pool = p
}

// unwatch removes cg's watches; p may be nil.
func (p *cgroupPool) unwatch(cg *attemptCgroup) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forget(cg)
}

func (p *cgroupPool) forget(cg *attemptCgroup) {
	for _, wd := range cg.wds {
		delete(p.watched, wd)
		if p.inotify > 0 {
			_, _ = unix.InotifyRmWatch(p.inotify, uint32(wd))
		}
	}
	cg.wds, cg.pool = nil, nil
}

// drain reads the watches' events and taints the cgroups they are about.
// Called with p.mu held.
func (p *cgroupPool) drain() {
	if p.inotify <= 0 {
		return
	}
	var buf [4096]byte
	for {
		n, err := unix.Read(p.inotify, buf[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return // EAGAIN: nothing more
		}
		// A read returns every queued event that fits: with room left
		// for another, the queue was empty, and no second read is due.
		more := n > len(buf)-(unix.SizeofInotifyEvent+unix.NAME_MAX+1)
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			nameAt := off + unix.SizeofInotifyEvent
			off = nameAt + int(ev.Len)
			if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
				for _, cg := range p.watched { // lost events: trust none
					cg.tainted = true
				}
				continue
			}
			cg := p.watched[ev.Wd]
			if cg == nil {
				continue
			}
			name := string(buf[nameAt:min(off, n)])
			if i := indexNUL(name); i >= 0 {
				name = name[:i]
			}
			if cg.kept || ev.Mask&unix.IN_IGNORED != 0 || !ownWrites[name] {
				cg.tainted = true
			}
		}
		if !more {
			return
		}
	}
}

func indexNUL(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return i
		}
	}
	return -1
}

// get returns an empty cgroup with these limits: a kept one no one has
// changed, or a new one. reused says which.
func (s *cgroupSetup) get(memLimit, milliCPU int64) (cg *attemptCgroup, reused bool, err error) {
	key := cgroupKey{memLimit, milliCPU}
	p := &s.pool
	var stale []*attemptCgroup
	p.mu.Lock()
	p.drain()
	for list := p.idle[key]; len(list) > 0 && cg == nil; list = p.idle[key] {
		c := list[len(list)-1]
		p.idle[key] = list[:len(list)-1]
		p.n--
		c.kept = false
		if c.tainted {
			stale = append(stale, c)
		} else {
			cg = c
		}
	}
	p.mu.Unlock()
	for _, c := range stale {
		_ = c.remove()
	}
	if cg != nil {
		return cg, true, nil
	}
	cg, err = s.create(memLimit, milliCPU)
	return cg, false, err
}

// release ends an attempt's use of cg: it is kept for another attempt when
// it can serve one (see Reuse), else removed. Call it after usage and
// oomKills.
func (s *cgroupSetup) release(cg *attemptCgroup) error {
	if cg.resetForReuse() {
		p := &s.pool
		p.mu.Lock()
		p.drain() // what happened while it was in use, by its rules
		if !p.closed && p.n < maxIdleCgroups && !cg.tainted {
			cg.kept = true
			if p.idle == nil {
				p.idle = map[cgroupKey][]*attemptCgroup{}
			}
			p.idle[cg.key] = append(p.idle[cg.key], cg)
			p.n++
			p.mu.Unlock()
			return nil
		}
		p.mu.Unlock()
	}
	return cg.remove()
}

// closeIdle removes every kept cgroup; those released later are removed
// at once.
func (s *cgroupSetup) closeIdle() error {
	p := &s.pool
	p.mu.Lock()
	idle := p.idle
	p.idle, p.n, p.closed = nil, 0, true
	p.mu.Unlock()
	var errs []error
	for _, list := range idle {
		for _, cg := range list {
			errs = append(errs, cg.remove())
		}
	}
	p.mu.Lock()
	if p.inotify > 0 {
		_ = unix.Close(p.inotify)
		p.inotify = -1
	}
	p.mu.Unlock()
	return errors.Join(errs...)
}

// resetForReuse readies cg for the next attempt and reports whether it
// can serve one.
func (cg *attemptCgroup) resetForReuse() bool {
	switch {
	case !cg.reusable || len(cg.wds) == 0 || cg.version != "v1":
		return false
	case cg.memDir == "":
		return true
	case cg.readInt(filepath.Join(cg.memDir, "memory.usage_in_bytes")) > reuseResidual || !cg.reusable:
		return false
	}
	return cg.write(filepath.Join(cg.memDir, "memory.max_usage_in_bytes"), "0") == nil
}
