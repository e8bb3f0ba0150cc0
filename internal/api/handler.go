package api

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gantryhq/gantry/internal/logs"
)

// Log attribute keys.
const (
	keyMethod   = "method"
	keyPath     = "path"
	keyStatus   = "status"
	keyError    = "error"
	keyPanic    = "panic"
	keyStack    = "stack"
	keyDuration = "duration"
	keyRunID    = "run_id"
)

// Options configure NewHandler.
type Options struct {
	Logger  *slog.Logger // nil discards
	Metrics http.Handler // served at GET /metrics when set
	// Auth checks bearer tokens; every route but health, readiness and the
	// OpenAPI document then needs a token whose role allows it. nil
	// allows every call (embedding and tests).
	Auth Authenticator
	// Alerts serves /api/v1/alerts and /api/v1/silences; nil answers 503.
	Alerts AlertService
	// Deploy serves deployments, revisions, the audit log and tokens; nil
	// answers 503.
	Deploy DeployService
	// Registerer takes the API's own metrics (bundle-sized requests in
	// flight, refused, too large); nil keeps them unexported.
	Registerer prometheus.Registerer
	// Logs opens the attempts' logs GET /api/v1/runs/{id}/logs serves;
	// nil reads the local files their records name (logs.Files).
	Logs logs.Source
	// Cluster says who leads (in /readyz) and serves GET /api/v1/workers;
	// nil answers 503 there.
	Cluster Cluster
}

type handler struct {
	svc     Service
	log     *slog.Logger
	auth    Authenticator
	alerts  AlertService
	deploy  DeployService
	logSrc  logs.Source
	cluster Cluster
	body    *bodyMetrics
}

// route is one registered pattern; the table is also what the OpenAPI
// test checks the document against.
type route struct {
	method, path string
	perm         Permission
	serve        func(h *handler, w http.ResponseWriter, r *http.Request)
}

var routes = []route{
	{"GET", "/healthz", PermPublic, (*handler).healthz},
	{"GET", "/readyz", PermPublic, (*handler).readyz},
	{"GET", "/api/v1/openapi.yaml", PermPublic, (*handler).openAPI},
	{"GET", "/api/v1/pipelines", PermRead, (*handler).listPipelines},
	{"POST", "/api/v1/pipelines/{name}/trigger", PermOperate, (*handler).trigger},
	{"POST", "/api/v1/pipelines/{name}/pause", PermOperate, (*handler).pause},
	{"POST", "/api/v1/pipelines/{name}/resume", PermOperate, (*handler).resume},
	{"GET", "/api/v1/runs", PermRead, (*handler).listRuns},
	{"GET", "/api/v1/runs/{id}", PermRead, (*handler).getRun},
	{"GET", "/api/v1/runs/{id}/attempts", PermRead, (*handler).listAttempts},
	{"GET", "/api/v1/runs/{id}/logs", PermRead, (*handler).logs},
	{"POST", "/api/v1/runs/{id}/cancel", PermOperate, (*handler).cancel},
	{"GET", "/api/v1/runs/{id}/approvals", PermRead, (*handler).listTaskApprovals},
	{"POST", "/api/v1/runs/{id}/tasks/{task}/approve", PermApprove, (*handler).approveTask},
	{"POST", "/api/v1/runs/{id}/tasks/{task}/reject", PermApprove, (*handler).rejectTask},
	{"POST", "/api/v1/backfills", PermOperate, (*handler).backfill},
	{"GET", "/api/v1/backfills/{id}", PermRead, (*handler).getBackfill},
	{"POST", "/api/v1/backfills/{id}/cancel", PermOperate, (*handler).cancelBackfill},
	{"GET", "/api/v1/dead-letters", PermRead, (*handler).listDeadLetters},
	{"GET", "/api/v1/dead-letters/{id}", PermRead, (*handler).getDeadLetter},
	{"POST", "/api/v1/dead-letters/{id}/replay", PermOperate, (*handler).replay},
	{"POST", "/api/v1/reload", PermOperate, (*handler).reload},
	{"GET", "/api/v1/workers", PermRead, (*handler).listWorkers},
	{"GET", "/api/v1/alerts", PermRead, (*handler).listAlerts},
	{"GET", "/api/v1/alerts/{id}", PermRead, (*handler).getAlert},
	{"POST", "/api/v1/alerts/test", PermOperate, (*handler).testFire},
	{"GET", "/api/v1/alerts/test", PermRead, (*handler).lastTestFire},
	{"GET", "/api/v1/silences", PermRead, (*handler).listSilences},
	{"POST", "/api/v1/silences", PermOperate, (*handler).addSilence},
	{"POST", "/api/v1/silences/{id}/expire", PermOperate, (*handler).expireSilence},
	{"POST", "/api/v1/deployments", PermDeploy, (*handler).createDeployments},
	{"GET", "/api/v1/deployments", PermRead, (*handler).listDeployments},
	{"GET", "/api/v1/deployments/{id}", PermRead, (*handler).getDeployment},
	{"POST", "/api/v1/deployments/{id}/approve", PermApprove, (*handler).approveDeployment},
	{"POST", "/api/v1/deployments/{id}/reject", PermApprove, (*handler).rejectDeployment},
	{"POST", "/api/v1/pipelines/{name}/promote", PermDeploy, (*handler).promote},
	{"POST", "/api/v1/pipelines/{name}/rollback", PermDeploy, (*handler).rollback},
	{"GET", "/api/v1/pipelines/{name}/revisions", PermRead, (*handler).listRevisions},
	{"GET", "/api/v1/pipelines/{name}/releases", PermRead, (*handler).listReleases},
	{"POST", "/api/v1/pipelines/{name}/releases/rollback", PermDeploy, (*handler).rollbackRelease},
	{"POST", "/api/v1/pipelines/{name}/diff", PermRead, (*handler).diff},
	{"GET", "/api/v1/pipelines/{name}/readiness", PermRead, (*handler).pipelineReadiness},
	{"GET", "/api/v1/pipelines/{name}/sizing", PermRead, (*handler).pipelineSizing},
	{"GET", "/api/v1/readiness", PermRead, (*handler).listReadiness},
	{"GET", "/api/v1/audit", PermRead, (*handler).listAudit},
	{"POST", "/api/v1/tokens", PermAdmin, (*handler).createToken},
	{"GET", "/api/v1/tokens", PermAdmin, (*handler).listTokens},
	{"POST", "/api/v1/tokens/{id}/revoke", PermAdmin, (*handler).revokeToken},
}

// NewHandler returns the API's handler: the routes above, JSON 404 and 405
// for everything else, and panics recovered into 500s.
func NewHandler(svc Service, opts Options) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	src := opts.Logs
	if src == nil {
		src = logs.Files{}
	}
	h := &handler{svc: svc, log: log, auth: opts.Auth, alerts: opts.Alerts, deploy: opts.Deploy,
		logSrc: src, cluster: opts.Cluster, body: newBodyMetrics(opts.Registerer, log)}
	mux := http.NewServeMux()
	for _, rt := range routes {
		pattern := rt.method + " " + rt.path
		mux.HandleFunc(pattern, h.authorize(rt.perm, h.limitBody(pattern, func(w http.ResponseWriter, r *http.Request) {
			if err := checkURL(r); err != nil {
				h.fail(w, r, err)
				return
			}
			rt.serve(h, w, r)
		})))
	}
	if opts.Metrics != nil {
		mux.Handle("GET /metrics", opts.Metrics)
	}
	return h.recover(h.unmatched(mux))
}

// unmatched answers requests no pattern matches with the JSON error shape
// instead of the mux's plain text, keeping its status and Allow header.
func (h *handler) unmatched(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		probe := &statusProbe{header: http.Header{}}
		next.ServeHTTP(probe, r)
		if probe.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.header.Get("Allow"))
			writeError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed,
				r.Method+" is not allowed on "+r.URL.Path, "")
			return
		}
		writeError(w, http.StatusNotFound, CodeNotFound, "no route for "+r.Method+" "+r.URL.Path, "")
	})
}

// statusProbe records what the mux's fallback handler would answer.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(status int)      { p.status = status }

// recover turns a handler panic into a logged 500 and logs each request.
func (h *handler) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				h.log.ErrorContext(r.Context(), "api handler panicked",
					slog.String(keyMethod, r.Method), slog.String(keyPath, r.URL.Path),
					slog.Any(keyPanic, p), slog.String(keyStack, string(debug.Stack())))
				if sw.status == 0 {
					writeError(sw, http.StatusInternalServerError, CodeInternal, "internal error; see the server log", "")
				}
			}
			h.log.DebugContext(r.Context(), "api request",
				slog.String(keyMethod, r.Method), slog.String(keyPath, r.URL.Path),
				slog.Int(keyStatus, sw.status), slog.Duration(keyDuration, time.Since(start)))
		}()
		next.ServeHTTP(sw, r)
	})
}

// statusWriter remembers whether a response has started. Unwrap lets
// http.ResponseController reach the real writer for Flush and deadlines.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
