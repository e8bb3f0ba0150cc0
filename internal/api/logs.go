package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/gantryhq/gantry/internal/logs"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// logPoll is how often a follow re-reads the log files and attempts.
const logPoll = 100 * time.Millisecond

// logs writes the selected attempts' logs as text/plain, oldest attempt
// first. With more than one attempt, each log's output starts with a
// "==> task #attempt <==" line, as tail(1) does for many files.
func (h *handler) logs(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	q, err := parseLogQuery(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	attempts, err := h.svc.ListAttempts(r.Context(), id, q.Task)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sel := selectAttempts(attempts, q)
	if q.Attempt != 0 && len(sel) == 0 {
		h.fail(w, r, fmt.Errorf("run %d has no attempt %d of task %q: %w", id, q.Attempt, q.Task, store.ErrNotFound))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s := &logStream{src: h.logSrc, w: w, rc: http.NewResponseController(w), nl: true}
	if !q.Follow {
		for _, a := range sel {
			s.add(r.Context(), a, q.Tail)
		}
		_ = s.drain(r.Context(), nil)
		return
	}
	// A follow outlives any server write timeout.
	_ = s.rc.SetWriteDeadline(time.Time{})
	f := &follower{svc: h.svc, runID: id, q: q, s: s}
	if err := f.run(r.Context()); err != nil && r.Context().Err() == nil {
		h.log.ErrorContext(r.Context(), "follow logs", slog.Int64(keyRunID, id), slog.Any(keyError, err))
	}
}

// selectAttempts keeps the attempts q asks for, in ID order.
func selectAttempts(attempts []record.TaskAttempt, q LogQuery) []record.TaskAttempt {
	var sel []record.TaskAttempt
	for _, a := range attempts {
		if (q.Task == "" || a.Task == q.Task) && (q.Attempt == 0 || a.Attempt == q.Attempt) {
			sel = append(sel, a)
		}
	}
	slices.SortFunc(sel, func(a, b record.TaskAttempt) int { return cmp.Compare(a.ID, b.ID) })
	return sel
}

// logStream copies attempts' logs to the response, tracking how far each
// got.
type logStream struct {
	src   logs.Source
	w     io.Writer
	rc    *http.ResponseController
	files []*logFile
	last  int64 // attempt whose bytes were written last
	nl    bool  // the last byte written was a newline, or nothing was
}

type logFile struct {
	attempt record.TaskAttempt
	off     int64
	done    bool
}

// add starts following a, from its last tail lines (all when tail < 0).
func (s *logStream) add(ctx context.Context, a record.TaskAttempt, tail int) *logFile {
	f := &logFile{attempt: a}
	if tail >= 0 {
		f.off = s.tailOffset(ctx, a, tail)
	}
	s.files = append(s.files, f)
	return f
}

func (s *logStream) find(id int64) *logFile {
	for _, f := range s.files {
		if f.attempt.ID == id {
			return f
		}
	}
	return nil
}

// drain copies what each unfinished file has beyond its offset, marks the
// files final in snapshot as done, and flushes. A nil snapshot marks all.
func (s *logStream) drain(ctx context.Context, final map[int64]bool) error {
	for _, f := range s.files {
		if f.done {
			continue
		}
		if err := s.copy(ctx, f); err != nil {
			return err
		}
		f.done = final == nil || final[f.attempt.ID]
	}
	if err := s.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return fmt.Errorf("flush: %w", err)
	}
	return nil
}

func (s *logStream) copy(ctx context.Context, f *logFile) error {
	l, err := s.src.Open(ctx, f.attempt)
	if errors.Is(err, logs.ErrNoOutput) {
		return nil // not written yet: empty
	}
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	defer l.Close()
	rd := logs.From(l, f.off)
	buf := make([]byte, 32<<10)
	for {
		n, err := rd.Read(buf)
		if n > 0 {
			if werr := s.write(f, buf[:n]); werr != nil {
				return werr
			}
			f.off += int64(n)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read log: %w", err)
		}
	}
}

func (s *logStream) write(f *logFile, b []byte) error {
	if len(s.files) > 1 && s.last != f.attempt.ID {
		sep := ""
		if !s.nl {
			sep = "\n"
		}
		if _, err := fmt.Fprintf(s.w, "%s==> %s #%d <==\n", sep, f.attempt.Task, f.attempt.Attempt); err != nil {
			return err
		}
	}
	s.last = f.attempt.ID
	s.nl = b[len(b)-1] == '\n'
	_, err := s.w.Write(b)
	return err
}

// tailOffset returns where the last n lines of a's log start; a final
// newline does not start an empty line. Errors mean "from the start".
func (s *logStream) tailOffset(ctx context.Context, a record.TaskAttempt, n int) int64 {
	l, err := s.src.Open(ctx, a)
	if err != nil {
		return 0
	}
	defer l.Close()
	off, err := logs.LineOffset(l, n)
	if err != nil {
		return 0
	}
	return off
}

// follower streams the logs until every selected attempt is final and
// drained and, unless one attempt was asked for, no new attempt can come:
// the task (or, with no task, the run) is final.
type follower struct {
	svc   Service
	runID int64
	q     LogQuery
	s     *logStream
}

func (f *follower) run(ctx context.Context) error {
	first, closing := true, false
	for {
		attempts, err := f.svc.ListAttempts(ctx, f.runID, f.q.Task)
		if err != nil {
			return fmt.Errorf("list attempts: %w", err)
		}
		final := map[int64]bool{}
		for _, a := range selectAttempts(attempts, f.q) {
			final[a.ID] = a.State.Final()
			if f.s.find(a.ID) == nil {
				tail := -1
				if first {
					tail = f.q.Tail // only what existed when the follow began
				}
				f.s.add(ctx, a, tail)
			}
		}
		first = false
		if err := f.s.drain(ctx, final); err != nil {
			return err
		}
		if !slices.ContainsFunc(f.s.files, func(l *logFile) bool { return !l.done }) {
			if closing || f.q.Attempt != 0 {
				return nil
			}
			// The scope is final: list once more to catch an attempt that
			// started between the listing and now, then stop.
			if closing, err = f.scopeFinal(ctx); err != nil {
				return err
			}
			if closing {
				continue
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(logPoll):
		}
	}
}

func (f *follower) scopeFinal(ctx context.Context) (bool, error) {
	run, tasks, err := f.svc.GetRun(ctx, f.runID)
	if err != nil {
		return false, fmt.Errorf("get run: %w", err)
	}
	if run.State.Final() || f.q.Task == "" {
		return run.State.Final(), nil
	}
	i := slices.IndexFunc(tasks, func(t record.RunTask) bool { return t.Task == f.q.Task })
	return i < 0 || tasks[i].State.Final(), nil
}
