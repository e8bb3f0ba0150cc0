package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gantryhq/gantry/internal/store"
)

// Error codes, the "error" field of an ErrorBody.
const (
	CodeInvalid          = "invalid_request"    // 400
	CodeNotFound         = "not_found"          // 404
	CodeMethodNotAllowed = "method_not_allowed" // 405
	CodeConflict         = "conflict"           // 409
	CodeInternal         = "internal"           // 500
	CodeUnavailable      = "unavailable"        // 503, from /readyz
)

// ErrorBody is the body of every error response.
type ErrorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"` // the request field at fault, for invalid_request
}

// writeJSON writes v with status; an encoding failure can only be logged,
// as the status is already sent.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg, field string) {
	writeJSON(w, status, ErrorBody{Error: code, Message: msg, Field: field})
}

// fail maps err from parsing or from the Service to a response: a body
// over its limit → 413, ErrInvalid
// (and FieldError) → 400, store.ErrNotFound → 404, store.ErrConflict → 409,
// anything else → 500 with a generic message and the error logged.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var fe *FieldError
	var big *tooLargeError
	switch {
	case errors.As(err, &big):
		h.body.tooLarge.WithLabelValues(r.Pattern).Inc()
		writeError(w, http.StatusRequestEntityTooLarge, CodeTooLarge, big.msg, "")
	case errors.As(err, &fe):
		writeError(w, http.StatusBadRequest, CodeInvalid, err.Error(), fe.Field)
	case errors.Is(err, ErrInvalid):
		writeError(w, http.StatusBadRequest, CodeInvalid, err.Error(), "")
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, err.Error(), "")
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, CodeConflict, err.Error(), "")
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads the answer.
		h.log.DebugContext(r.Context(), "request cancelled", slog.String(keyPath, r.URL.Path))
	default:
		h.log.ErrorContext(r.Context(), "api request failed",
			slog.String(keyMethod, r.Method), slog.String(keyPath, r.URL.Path), slog.Any(keyError, err))
		writeError(w, http.StatusInternalServerError, CodeInternal, "internal error; see the server log", "")
	}
}
