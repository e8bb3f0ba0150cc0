package process

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// rssPollInterval is how often the fallback memory enforcer samples.
const rssPollInterval = 50 * time.Millisecond

// rssPoller enforces a memory limit without cgroups: it sums the resident
// set of every process in the attempt's process group and reports when the
// sum goes over the limit. A process that leaves the group (setsid) is not
// counted; short spikes between samples are missed.
type rssPoller struct {
	pgid     int
	limit    int64
	exceeded chan struct{} // closed when the limit is crossed
	stop     chan struct{}
	done     chan struct{}

	mu   sync.Mutex
	peak int64
}

func startRSSPoller(pgid int, limit int64) *rssPoller {
	p := &rssPoller{
		pgid:     pgid,
		limit:    limit,
		exceeded: make(chan struct{}),
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go p.loop()
	return p
}

func (p *rssPoller) loop() {
	defer close(p.done)
	t := time.NewTicker(rssPollInterval)
	defer t.Stop()
	buf := make([]byte, 1024)
	for {
		rss := groupRSS(p.pgid, buf)
		p.mu.Lock()
		p.peak = max(p.peak, rss)
		p.mu.Unlock()
		if rss > p.limit {
			close(p.exceeded)
			return
		}
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
	}
}

// Stop ends polling and returns the highest sum seen.
func (p *rssPoller) Stop() int64 {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.peak
}

// groupRSS sums the resident set, in bytes, of the processes in group pgid.
func groupRSS(pgid int, buf []byte) int64 {
	d, err := os.Open("/proc")
	if err != nil {
		return 0
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	var pages int64
	for _, name := range names {
		if name[0] < '0' || name[0] > '9' {
			continue
		}
		group, rss, ok := readStat("/proc/"+name+"/stat", buf)
		if ok && group == pgid {
			pages += rss
		}
	}
	return pages * int64(os.Getpagesize())
}

// readStat returns the process group and resident pages from a
// /proc/<pid>/stat file.
func readStat(path string, buf []byte) (pgid int, rss int64, ok bool) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return 0, 0, false
	}
	n, err := syscall.Read(fd, buf)
	syscall.Close(fd)
	if err != nil || n <= 0 {
		return 0, 0, false
	}
	// The command name may hold spaces and parentheses; fields resume
	// after the last ')'. Field 3 (state) is fields[0].
	line := buf[:n]
	i := bytes.LastIndexByte(line, ')')
	if i < 0 {
		return 0, 0, false
	}
	fields := bytes.Fields(line[i+1:])
	if len(fields) < 22 {
		return 0, 0, false
	}
	pgid, err1 := strconv.Atoi(string(fields[2]))             // field 5: pgrp
	rss, err2 := strconv.ParseInt(string(fields[21]), 10, 64) // field 24: rss
	return pgid, rss, err1 == nil && err2 == nil
}
