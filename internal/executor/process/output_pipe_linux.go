package process

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// outputPipe carries an attempt's combined stdout and stderr to its log.
// The supervising goroutine reads it itself, in the same poll(2) as it
// waits for the leader's exit on, so an attempt costs no copying
// goroutine, and no hand-off between two, as os/exec's own pipe would.
// Its descriptors are blocking and kept out of the runtime's poller: a
// read is only made once poll has said it will not block.
type outputPipe struct {
	r, w *os.File // w is the child's; closed in the parent once it started
	rfd  int      // r's descriptor
	exit int      // readable once the leader has exited: a pidfd, or notify's read end
	// notify is the fallback where pidfds are not to be had: a goroutine
	// closes its write end once waitid says the leader exited.
	notify [2]int
	sink   io.Writer
	buf    *[]byte // lent from copyBufs on the first byte
	eof    bool
}

// pidfdWorks says whether pidfd_open(2) is there (Linux 5.3 and later,
// and not refused by a seccomp profile).
var pidfdWorks = sync.OnceValue(func() bool {
	fd, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		return false
	}
	_ = unix.Close(fd)
	return true
})

func newOutputPipe(sink io.Writer) (*outputPipe, error) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return nil, err
	}
	return &outputPipe{r: os.NewFile(uintptr(fds[0]), "output"), rfd: fds[0], w: os.NewFile(uintptr(fds[1]), "output"),
		exit: -1, notify: [2]int{-1, -1}, sink: sink}, nil
}

// started closes the parent's copy of the write end and opens what tells
// of pid's exit.
func (p *outputPipe) started(pid int) {
	_ = p.w.Close()
	p.w = nil
	if pidfdWorks() {
		if fd, err := unix.PidfdOpen(pid, 0); err == nil {
			p.exit = fd
			return
		}
	}
	if err := syscall.Pipe2(p.notify[:], syscall.O_CLOEXEC); err != nil {
		p.notify = [2]int{-1, -1}
		return // wait below falls back to waitid alone
	}
	p.exit = p.notify[0]
	w := p.notify[1]
	go func() {
		waitExited(pid)
		_ = syscall.Close(w)
	}()
}

// wait copies output until the leader pid has exited, and returns then,
// without reaping it.
func (p *outputPipe) wait(pid int) {
	fds := []unix.PollFd{{Fd: int32(p.exit), Events: unix.POLLIN}, {Fd: int32(p.fd()), Events: unix.POLLIN}}
	timeout := -1
	if p.exit < 0 {
		// Neither a pidfd nor a pipe to be had: look for the exit
		// between reads, every 10 ms.
		timeout = 10
	}
	for {
		if p.eof {
			fds[1].Fd = -1 // poll ignores it
		}
		if timeout > 0 && exitedNow(pid) {
			return
		}
		if _, err := unix.Poll(fds, timeout); err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			// Not expected of valid descriptors: wait without the output.
			waitExited(pid)
			return
		}
		if fds[1].Revents != 0 {
			p.readOnce()
		}
		if fds[0].Revents != 0 {
			return
		}
	}
}

// exitedNow reports whether pid has exited, without reaping it.
func exitedNow(pid int) bool {
	var info unix.Siginfo
	err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT|unix.WNOHANG, nil)
	// info stays zeroed while the child has not changed state; Signo is
	// SIGCHLD once it has.
	return err != nil && !errors.Is(err, syscall.EINTR) || err == nil && info.Signo != 0
}

// drain copies what is left once every process of the attempt is gone,
// giving up after d: only an escapee no kill could reach can still hold
// the write end.
func (p *outputPipe) drain(d time.Duration) {
	deadline := time.Now().Add(d)
	fds := []unix.PollFd{{Fd: int32(p.fd()), Events: unix.POLLIN}}
	for !p.eof {
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		switch {
		case err != nil && errors.Is(err, syscall.EINTR):
		case err != nil || n == 0:
			return
		default:
			p.readOnce()
		}
	}
}

func (p *outputPipe) fd() int { return p.rfd }

// readOnce reads what one read(2) gives and hands it to the sink; EOF or
// an error ends the output.
func (p *outputPipe) readOnce() {
	if p.buf == nil {
		p.buf = copyBufs.Get().(*[]byte)
	}
	for {
		n, err := syscall.Read(p.fd(), *p.buf)
		if n > 0 {
			_, _ = p.sink.Write((*p.buf)[:n])
			return
		}
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		p.eof = true
		return
	}
}

// close releases the descriptors and the buffer.
func (p *outputPipe) close() {
	if p.w != nil {
		_ = p.w.Close()
		p.w = nil
	}
	if p.exit >= 0 && p.exit != p.notify[0] {
		_ = unix.Close(p.exit)
	}
	if p.notify[0] >= 0 {
		_ = syscall.Close(p.notify[0])
	}
	p.exit, p.notify = -1, [2]int{-1, -1}
	if p.r != nil {
		_ = p.r.Close()
		p.r = nil
	}
	if p.buf != nil {
		copyBufs.Put(p.buf)
		p.buf = nil
	}
}
