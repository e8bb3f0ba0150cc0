package api

import (
	"context"
	_ "embed"
	"net/http"
	"time"
)

//go:embed openapi.yaml
var openAPIDoc []byte

// OpenAPI returns the embedded OpenAPI document that describes the API.
func OpenAPI() []byte { return openAPIDoc }

// readyTimeout bounds svc.Ready so a hung store makes /readyz fail, not hang.
const readyTimeout = 5 * time.Second

// healthz says the process is up; it calls nothing.
func (h *handler) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok"))
}

func (h *handler) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := h.svc.Ready(ctx); err != nil {
		writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "not ready: "+err.Error(), "")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok" + h.leaderLine(ctx)))
}

// leaderLine says, after "ok", which process leads and whether this one
// does; "" without a Cluster. A replica that does not lead is ready: it
// serves the API.
func (h *handler) leaderLine(ctx context.Context) string {
	if h.cluster == nil {
		return ""
	}
	holder, self, err := h.cluster.Leader(ctx)
	switch {
	case err != nil:
		return "\nleader: unknown (" + err.Error() + ")"
	case holder == "":
		return "\nleader: none"
	case self:
		return "\nleader: " + holder + " (this process)"
	}
	return "\nleader: " + holder + " (not this process)"
}

func (h *handler) openAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openAPIDoc)
}

func (h *handler) reload(w http.ResponseWriter, r *http.Request) {
	res, err := h.svc.Reload(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if res.Loaded == nil {
		res.Loaded = []string{}
	}
	writeJSON(w, http.StatusOK, res)
}
