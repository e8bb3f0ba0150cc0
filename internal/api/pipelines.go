package api

import (
	"net/http"
	"time"
)

func (h *handler) listPipelines(w http.ResponseWriter, r *http.Request) {
	ps, err := h.svc.Pipelines(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list := PipelineList{Pipelines: make([]Pipeline, 0, len(ps))}
	for _, p := range ps {
		list.Pipelines = append(list.Pipelines, newPipelineView(p))
	}
	writeJSON(w, http.StatusOK, list)
}

func (h *handler) trigger(w http.ResponseWriter, r *http.Request) {
	var body TriggerBody
	if err := decodeBody(w, r, &body, false); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := body.validate(); err != nil {
		h.fail(w, r, err)
		return
	}
	run, err := h.svc.Trigger(r.Context(), TriggerRequest{
		Pipeline: r.PathValue("name"), Params: body.Params, Date: body.Date,
		Start: utc(body.Start), End: utc(body.End), Actor: actor(r),
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, newRunView(run, nil))
}

// validate checks the shape of b; the Service checks it against the pipeline.
func (b TriggerBody) validate() error {
	if b.Date != "" {
		if _, err := time.Parse(time.DateOnly, b.Date); err != nil {
			return &FieldError{Field: "date", Msg: "must be a date like 2024-05-01"}
		}
		if !b.Start.IsZero() || !b.End.IsZero() {
			return &FieldError{Field: "date", Msg: "give either date or interval_start and interval_end, not both"}
		}
	}
	switch {
	case b.Start.IsZero() && !b.End.IsZero():
		return &FieldError{Field: "interval_start", Msg: "required with interval_end"}
	case !b.Start.IsZero() && b.End.IsZero():
		return &FieldError{Field: "interval_end", Msg: "required with interval_start"}
	case !b.Start.IsZero() && !b.End.After(b.Start):
		return &FieldError{Field: "interval_end", Msg: "must be after interval_start"}
	}
	return nil
}

func (h *handler) pause(w http.ResponseWriter, r *http.Request)  { h.setPaused(w, r, true) }
func (h *handler) resume(w http.ResponseWriter, r *http.Request) { h.setPaused(w, r, false) }

func (h *handler) setPaused(w http.ResponseWriter, r *http.Request, paused bool) {
	if err := h.svc.SetPaused(r.Context(), r.PathValue("name"), paused, actor(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
