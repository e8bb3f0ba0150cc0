package api

import (
	"net/http"
	"strconv"

	"github.com/gantryhq/gantry/internal/readiness"
)

// ReadinessList is the body of GET /api/v1/readiness.
type ReadinessList struct {
	Reports []*readiness.Report `json:"reports"`
}

// requiredEnv reads the required env query parameter.
func requiredEnv(r *http.Request) (string, error) {
	env := r.URL.Query().Get("env")
	if env == "" {
		return "", &FieldError{Field: "env", Msg: "is required: the environment to assess, e.g. ?env=prod"}
	}
	return env, nil
}

func (h *handler) pipelineReadiness(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	env, err := requiredEnv(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rep, err := svc.Readiness(r.Context(), r.PathValue("name"), env)
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

func (h *handler) listReadiness(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	env, err := requiredEnv(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	reps, err := svc.ReadinessAll(r.Context(), env)
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ReadinessList{Reports: reps})
}

func (h *handler) pipelineSizing(w http.ResponseWriter, r *http.Request) {
	svc := h.deployService(w)
	if svc == nil {
		return
	}
	env, err := requiredEnv(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	last := 0
	if v := r.URL.Query().Get("last"); v != "" {
		if last, err = strconv.Atoi(v); err != nil || last < 1 || last > MaxLimit {
			h.fail(w, r, &FieldError{Field: "last", Msg: "must be an integer from 1 to " + strconv.Itoa(MaxLimit)})
			return
		}
	}
	sz, err := svc.Sizing(r.Context(), r.PathValue("name"), env, last)
	if err != nil {
		h.failDeploy(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sz)
}
