package process

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"
)

// Guard. A worker's attempts are retried on another machine once its
// claims' leases end, so an attempt must not outlive the worker that runs
// it: the retry would run beside it. Nothing inside the worker can see to
// that when the worker is killed with -9, or stopped, so a Guard is a
// process of its own (the same binary, started with guardEnv set) that
// the worker tells, through a pipe, about every attempt as it starts: its
// cgroup directories and environment marks before it starts, its process
// group once started, and, from the worker, the time by which it must be
// gone (its claim's lease end, less a margin). The guard kills an
// attempt's every process:
//
//   - when the pipe closes: the worker ended, whichever way (after a
//     drain nothing is left to kill);
//   - when its deadline passes without being moved on: the worker is
//     stopped or starved and could not renew, or did renew but could not
//     end the attempt.
//
// Once an attempt's processes are all gone, the guard tells its Reporter
// (in the guard's own process: app's hands the claims back, so that they
// are retried at once rather than when their leases end).
//
// The guard ignores SIGINT, SIGTERM and SIGHUP and has a process group of
// its own, so a terminal's ^C or a service manager's SIGTERM lets the
// worker drain first. A guard that dies is seen through Done.
type Guard struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	w    *os.File
	enc  *json.Encoder
	err  error // the first write error; nothing more is sent
	done chan struct{}
}

// guardEnv, set to "1", makes the binary a guard (RunGuardIfAsked).
const guardEnv = "GANTRY_PROCESS_GUARD"

// guardMsg is one line on the pipe.
type guardMsg struct {
	Op      string   `json:"op"` // config (first), add, pid, ended, until, release
	Config  string   `json:"config,omitempty"`
	Tag     string   `json:"tag,omitempty"` // until's
	ID      int64    `json:"id"`
	PID     int      `json:"pid,omitempty"`
	Version string   `json:"cg_version,omitempty"`
	CanKill bool     `json:"cg_kill,omitempty"`
	Cgroups []string `json:"cgroups,omitempty"`
	Marks   []string `json:"marks,omitempty"`
	Until   int64    `json:"until,omitempty"` // unix nanoseconds
}

// StartGuard starts exe (this binary: os.Executable) as a guard, handing
// config to its Reporter (it goes through the pipe, not the
// environment). Its output goes to stderr.
func StartGuard(exe, config string) (*Guard, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("task guard: %w", err)
	}
	defer r.Close()
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), guardEnv+"=1")
	cmd.Stdin, cmd.Stderr = r, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, fmt.Errorf("task guard: %w", err)
	}
	g := &Guard{cmd: cmd, w: w, enc: json.NewEncoder(w), done: make(chan struct{})}
	g.send(guardMsg{Op: "config", Config: config})
	go func() {
		_ = cmd.Wait()
		close(g.done)
	}()
	return g, nil
}

// Done is closed once the guard process has exited.
func (g *Guard) Done() <-chan struct{} { return g.done }

// Until sets the time by which attempt id's processes must be gone; the
// guard kills them then unless moved on. It may come before the attempt
// starts. tag is handed to the Reporter with the attempt, should the
// guard kill it.
func (g *Guard) Until(id int64, t time.Time, tag string) {
	g.send(guardMsg{Op: "until", ID: id, Until: t.UnixNano(), Tag: tag})
}

// Close tells the guard this process is ending on purpose, which kills
// whatever attempt is still registered, and waits for it to exit.
func (g *Guard) Close() error {
	g.mu.Lock()
	err := g.w.Close()
	g.mu.Unlock()
	select {
	case <-g.done:
	case <-time.After(killTimeout + time.Second):
		_ = g.cmd.Process.Kill()
		<-g.done
	}
	return err
}

// guardWriteTimeout bounds a write to the guard: one that does not read
// (stopped, wedged) is taken for dead rather than left to block the
// worker, whose renewals and own expiry would wait behind it.
const guardWriteTimeout = 5 * time.Second

func (g *Guard) send(m guardMsg) {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.err != nil {
		return
	}
	_ = g.w.SetWriteDeadline(time.Now().Add(guardWriteTimeout))
	if err := g.enc.Encode(m); err != nil {
		g.err = err
		// A guard that cannot be told is no guard: ended, it is seen
		// through Done, and the worker stops.
		_ = g.cmd.Process.Kill()
	}
}

// Err is the first error telling the guard something, nil while it
// listens.
func (g *Guard) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// register tells the guard about attempt id before it starts.
func (g *Guard) register(id int64, cg *attemptCgroup, marks []string) {
	m := guardMsg{Op: "add", ID: id, Marks: marks}
	if cg != nil {
		m.Version, m.CanKill, m.Cgroups = cg.version, cg.canKill, cg.dirs
	}
	g.send(m)
}

func (g *Guard) started(id int64, pid int) { g.send(guardMsg{Op: "pid", ID: id, PID: pid}) }

// ended tells the guard attempt id's processes are gone; sent before the
// leader is reaped, so its pid was never anyone else's.
func (g *Guard) ended(id int64) { g.send(guardMsg{Op: "ended", ID: id}) }

// Release tells the guard the worker is done with attempt id (its result
// recorded, or its claim given up): nothing is reported for it any more.
// Until holds it until then, processes or not: a worker that dies
// between its attempt's end and recording it has it reported too.
func (g *Guard) Release(id int64) { g.send(guardMsg{Op: "release", ID: id}) }

// RunGuardIfAsked makes this process a guard when StartGuard started it:
// it serves the pipe on stdin, telling report (nil: nobody) what it
// kills, and exits. It returns at once otherwise. Call it first thing in
// main (and in a test binary's TestMain).
func RunGuardIfAsked(report Reporter) {
	if os.Getenv(guardEnv) != "1" {
		return
	}
	// Only a worker's pipe makes a guard: the variable set by mistake in
	// a shell leaves gantry itself, not a process waiting on a terminal.
	if fi, err := os.Stdin.Stat(); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return
	}
	// SIGTTOU too: the guard writes to the worker's stderr from a process
	// group of its own, which a terminal with tostop would stop.
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGPIPE, syscall.SIGTTOU, syscall.SIGTTIN)
	serveGuard(os.Stdin, os.Stderr, report)
	os.Exit(0)
}

// guarded is one attempt a guard watches.
type guarded struct {
	m       guardMsg // add's, with pid
	tag     string   // the last until's
	timer   *time.Timer
	expired bool
}

// serveGuard reads r until it ends, killing attempts whose deadline
// passes, then kills what is left and returns.
func serveGuard(r io.Reader, errOut io.Writer, report Reporter) {
	var mu sync.Mutex
	live := map[int64]*guarded{}
	var kills sync.WaitGroup
	var config string
	// reported are the attempts killed since the last report: at the end
	// they go in one report, after every kill has ended.
	var reportMu, flushMu sync.Mutex
	var reported []Killed
	var survivors []int64 // kept: every report says them
	flush := func(ended bool) {
		flushMu.Lock() // one report at a time
		defer flushMu.Unlock()
		reportMu.Lock()
		rep := Report{Killed: reported, Survivors: slices.Clone(survivors), Ended: ended}
		reported = nil
		reportMu.Unlock()
		if (len(rep.Killed) > 0 || ended) && report != nil {
			report(config, rep)
		}
	}
	ending := false
	// kill kills attempt id's processes, if it has any, and reports it
	// when its worker holds it (Until gave a tag); mu is held. An attempt
	// whose deadline passed stays listed, expired, until the worker
	// releases it: a process group or cgroup it reports after that is
	// killed at once.
	kill := func(id int64, why string) {
		g := live[id]
		if g == nil {
			return
		}
		if g.timer != nil {
			g.timer.Stop()
		}
		first := !g.expired // reported once, at the first kill
		g.expired = true
		noProcs := g.m.PID == 0 && len(g.m.Cgroups) == 0 && len(g.m.Marks) == 0
		if noProcs && g.tag == "" {
			delete(live, id)
			return
		}
		m, tag, last := g.m, g.tag, ending
		kills.Go(func() {
			if noProcs {
				// Nothing to kill: not started, or ended but not recorded.
			} else if err := killGuarded(m); err != nil {
				// What lives on may still run: its claim is kept.
				fmt.Fprintf(errOut, "gantry task guard: attempt %d (%s): %v; its claim is left to its lease\n", id, why, err)
				reportMu.Lock()
				survivors = append(survivors, id)
				reportMu.Unlock()
				return
			}
			if !first || tag == "" {
				return
			}
			reportMu.Lock()
			reported = append(reported, Killed{ID: id, Tag: tag})
			reportMu.Unlock()
			if !last {
				flush(false)
			}
		})
	}
	get := func(id int64) *guarded {
		g := live[id]
		if g == nil {
			g = &guarded{m: guardMsg{ID: id}}
			live[id] = g
		}
		return g
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var m guardMsg
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			fmt.Fprintf(errOut, "gantry task guard: %v\n", err)
			continue
		}
		mu.Lock()
		switch m.Op {
		case "config":
			config = m.Config
		case "add":
			g := get(m.ID)
			g.m.Version, g.m.CanKill, g.m.Cgroups, g.m.Marks = m.Version, m.CanKill, m.Cgroups, m.Marks
			if g.expired {
				kill(m.ID, "it started after its deadline")
			}
		case "pid":
			g := get(m.ID)
			g.m.PID = m.PID
			if g.expired {
				kill(m.ID, "it started after its deadline")
			}
		case "until":
			g, id := get(m.ID), m.ID
			if g.expired {
				break // too late: the lease is given up
			}
			if g.timer != nil {
				g.timer.Stop()
			}
			g.tag = m.Tag
			g.timer = time.AfterFunc(time.Until(time.Unix(0, m.Until)), func() {
				mu.Lock()
				defer mu.Unlock()
				if live[id] == g {
					kill(id, "its deadline passed")
				}
			})
		case "ended":
			g := live[m.ID]
			if g == nil {
				break
			}
			if g.tag == "" { // no worker holds it: done with
				if g.timer != nil {
					g.timer.Stop()
				}
				delete(live, m.ID)
				break
			}
			g.m.PID, g.m.Cgroups, g.m.Marks = 0, nil, nil
		case "release":
			if g := live[m.ID]; g != nil {
				if g.timer != nil {
					g.timer.Stop()
				}
				delete(live, m.ID)
			}
		}
		mu.Unlock()
	}
	mu.Lock()
	ending = true
	for id := range live {
		kill(id, "its worker ended")
	}
	mu.Unlock()
	kills.Wait()
	flush(true)
}

// killGuarded kills every process of the attempt m describes and returns
// once they are gone: its process group, its cgroup's members, and any
// process that carries its marks.
func killGuarded(m guardMsg) error {
	if m.PID > 0 {
		_ = syscall.Kill(-m.PID, syscall.SIGKILL)
	}
	var errs []error
	if len(m.Cgroups) > 0 {
		cg := &attemptCgroup{version: m.Version, dirs: m.Cgroups, dirFDs: make([]int, len(m.Cgroups)), fd: -1, canKill: m.CanKill}
		for i := range cg.dirFDs {
			cg.dirFDs[i] = -1
		}
		errs = append(errs, cg.killAll())
	}
	if len(m.Marks) > 0 {
		errs = append(errs, killMarked(m.Marks, 0))
	}
	return errors.Join(errs...)
}
