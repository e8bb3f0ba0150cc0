package api

import (
	"net/http"
	"time"
)

func (h *handler) backfill(w http.ResponseWriter, r *http.Request) {
	var req BackfillRequest
	if err := decodeBody(w, r, &req, true); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := validateBackfill(req); err != nil {
		h.fail(w, r, err)
		return
	}
	req.Actor = actor(r)
	st, err := h.svc.Backfill(r.Context(), req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	status := http.StatusCreated
	if req.DryRun {
		status = http.StatusOK // nothing was created
	}
	writeJSON(w, status, newBackfillStatusView(st))
}

// validateBackfill checks the shape of req; the Service checks it against
// the pipeline.
func validateBackfill(req BackfillRequest) error {
	if req.Pipeline == "" {
		return &FieldError{Field: "pipeline", Msg: "required"}
	}
	from, err := time.Parse(time.DateOnly, req.From)
	if err != nil {
		return &FieldError{Field: "from", Msg: "must be a date like 2024-05-01"}
	}
	to, err := time.Parse(time.DateOnly, req.To)
	if err != nil {
		return &FieldError{Field: "to", Msg: "must be a date like 2024-05-01"}
	}
	if to.Before(from) {
		return &FieldError{Field: "to", Msg: "must not be before from"}
	}
	if req.Parallel < 0 {
		return &FieldError{Field: "parallel", Msg: "must not be negative"}
	}
	return nil
}

func (h *handler) getBackfill(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	st, err := h.svc.GetBackfill(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newBackfillStatusView(st))
}

func (h *handler) cancelBackfill(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	st, err := h.svc.CancelBackfill(r.Context(), id, actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newBackfillStatusView(st))
}
