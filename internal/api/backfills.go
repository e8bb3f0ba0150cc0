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
	if !backfillBoundShape(req.From) {
		return &FieldError{Field: "from", Msg: "must be a date like 2024-05-01 or an instant like 2024-05-01T06:00"}
	}
	if !backfillBoundShape(req.To) {
		return &FieldError{Field: "to", Msg: "must be a date like 2024-05-01 or an instant like 2024-05-01T06:00"}
	}
	from, ferr := time.Parse(time.DateOnly, req.From)
	to, terr := time.Parse(time.DateOnly, req.To)
	if ferr == nil && terr == nil && to.Before(from) {
		return &FieldError{Field: "to", Msg: "must not be before from"}
	}
	if req.Parallel < 0 {
		return &FieldError{Field: "parallel", Msg: "must not be negative"}
	}
	return nil
}

// backfillBoundShape reports whether s is a day (YYYY-MM-DD) or an
// instant (YYYY-MM-DDTHH:MM[:SS] in the pipeline's zone, or RFC 3339); the
// Service reads it in the pipeline's time zone.
func backfillBoundShape(s string) bool {
	for _, layout := range []string{time.DateOnly, "2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
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
