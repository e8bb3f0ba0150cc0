package api

import (
	"net/http"
	"strconv"
)

func (h *handler) listRuns(w http.ResponseWriter, r *http.Request) {
	q, err := parseRunQuery(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	runs, err := h.svc.ListRuns(r.Context(), q.filter())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list := RunList{Runs: make([]RunView, 0, len(runs))}
	for _, run := range runs {
		list.Runs = append(list.Runs, newRunView(run, nil))
	}
	// A full page may have a successor; an empty next page is cheap and
	// saves counting.
	if len(runs) == q.Limit && len(runs) > 0 {
		next := r.URL.Query()
		next.Set("before", strconv.FormatInt(runs[len(runs)-1].ID, 10))
		next.Set("limit", strconv.Itoa(q.Limit))
		list.Next = r.URL.Path + "?" + next.Encode()
	}
	writeJSON(w, http.StatusOK, list)
}

func (h *handler) getRun(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	run, tasks, err := h.svc.GetRun(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newRunView(run, tasks))
}

func (h *handler) listAttempts(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	attempts, err := h.svc.ListAttempts(r.Context(), id, r.URL.Query().Get("task"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list := AttemptList{Attempts: make([]AttemptView, 0, len(attempts))}
	for _, a := range attempts {
		list.Attempts = append(list.Attempts, newAttemptView(a))
	}
	writeJSON(w, http.StatusOK, list)
}

func (h *handler) cancel(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	run, err := h.svc.Cancel(r.Context(), id, actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newRunView(run, nil))
}
