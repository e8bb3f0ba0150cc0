package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gantryhq/gantry/internal/logs"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// errNotFound is a page about something that does not exist.
var errNotFound = errors.New("not found")

type runPage struct {
	Run      record.Run
	Tasks    []record.RunTask
	Attempts []record.TaskAttempt
}

func (h *handler) run(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		h.fail(w, r, fmt.Errorf("%w: there is no run %q", errNotFound, r.PathValue("id")))
		return
	}
	run, tasks, err := h.src.GetRun(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, fmt.Errorf("%w: there is no run %d", errNotFound, id))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	atts, err := h.src.ListAttempts(r.Context(), id, "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, http.StatusOK, "run.html", runPage{Run: run, Tasks: tasks, Attempts: atts})
}

// maxLogBytes is how much of a log's end a page shows.
const maxLogBytes = 256 << 10

type logPage struct {
	RunID     int64
	Attempt   record.TaskAttempt
	Text      string
	Truncated bool
}

// attemptLog shows one attempt's captured output (already redacted of secrets
// when it was written), its last maxLogBytes.
func (h *handler) attemptLog(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	aid, aerr := strconv.ParseInt(r.PathValue("attempt"), 10, 64)
	if err != nil || aerr != nil {
		h.fail(w, r, fmt.Errorf("%w: no such attempt", errNotFound))
		return
	}
	atts, err := h.src.ListAttempts(r.Context(), id, "")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, a := range atts {
		if a.ID != aid {
			continue
		}
		page := logPage{RunID: id, Attempt: a}
		page.Text, page.Truncated, err = h.tail(r.Context(), a)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.render(w, http.StatusOK, "log.html", page)
		return
	}
	h.fail(w, r, fmt.Errorf("%w: run %d has no attempt %d", errNotFound, id, aid))
}

// tail reads the last maxLogBytes of a's log; a log not written yet is
// empty.
func (h *handler) tail(ctx context.Context, a record.TaskAttempt) (string, bool, error) {
	l, err := h.logs.Open(ctx, a)
	if errors.Is(err, logs.ErrNoOutput) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	defer l.Close()
	b, truncated, err := logs.Tail(l, maxLogBytes)
	return string(b), truncated, err
}
