package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

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
