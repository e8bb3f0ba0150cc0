package api

import (
	"net/http"

	"github.com/gantryhq/gantry/internal/store"
)

func (h *handler) listDeadLetters(w http.ResponseWriter, r *http.Request) {
	q, err := parseDeadLetterQuery(r.URL.Query())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	dls, err := h.svc.ListDeadLetters(r.Context(), store.DeadLetterFilter{
		Pipeline: q.Pipeline, Env: q.Env, Unreplayed: !q.All, Limit: q.Limit,
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list := DeadLetterList{DeadLetters: make([]DeadLetterView, 0, len(dls))}
	for _, d := range dls {
		list.DeadLetters = append(list.DeadLetters, newDeadLetterView(d))
	}
	writeJSON(w, http.StatusOK, list)
}

func (h *handler) getDeadLetter(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, err := h.svc.GetDeadLetter(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newDeadLetterView(d))
}

func (h *handler) replay(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var body ReplayRequest
	if err := decodeBody(w, r, &body, false); err != nil {
		h.fail(w, r, err)
		return
	}
	run, err := h.svc.Replay(r.Context(), id, actor(r), body.Force)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newRunView(run, nil))
}

// ReplayRequest is the optional body of POST /api/v1/dead-letters/{id}/replay.
type ReplayRequest struct {
	// Force replays on a revision that was rolled back in the run's
	// environment since the run; without it that is 409.
	Force bool `json:"force,omitempty"`
}
