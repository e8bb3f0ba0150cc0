package ui

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/logs"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

//go:embed assets
var assets embed.FS

// pages are parsed on the first page served, not when the binary starts:
// a command that serves none (gantry run) does not pay for them.
var pages = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("").Funcs(funcs).ParseFS(assets, "assets/*.html"))
})

// Source is what the run and runbook pages read.
type Source interface {
	GetRun(ctx context.Context, id int64) (record.Run, []record.RunTask, error)
	ListAttempts(ctx context.Context, runID int64, task string) ([]record.TaskAttempt, error)
	// Runbook returns the text of a pipeline's runbook file, or
	// store.ErrNotFound.
	Runbook(ctx context.Context, pipeline string) (string, error)
}

// Reads are the store's reads the pages make directly (the store
// implements them).
type Reads interface {
	store.SummaryStore
	ListTestFires(ctx context.Context, f store.TestFireFilter) ([]record.TestFire, error)
	ListAlertDeliveries(ctx context.Context, f store.AlertDeliveryFilter) ([]record.AlertDelivery, error)
}

// Options configure a Handler. Source and Auth are required; a page whose
// source is nil says so instead of failing.
type Options struct {
	Source Source
	Auth   api.Authenticator // required: every page needs a viewer token
	Logger *slog.Logger
	Logs   logs.Source // attempts' logs; nil: the local files their records name

	// Service lists pipelines, runs and dead letters (the API's).
	Service api.Service
	// Summaries are the store's reads the pages make beyond the
	// services': the aggregates of the home and pipeline pages, and
	// test-fires.
	Summaries Reads
	// Deploy and Alerts are the API's services, read by their pages.
	Deploy api.DeployService
	Alerts api.AlertService
	// Routes lists the project's alert routes, for test-fire.
	Routes func() []string
	// API is the JSON API's handler. Every button's POST is checked for
	// its CSRF token here and then served by it, with the session's token
	// as its bearer: the role and every rule are checked by the same code
	// as for any API call, and what it refuses the page refuses too.
	API http.Handler
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// cookieName holds the API token a browser signed in with.
const cookieName = "gantry_token"

type handler struct {
	Options
	src  Source
	auth api.Authenticator
	log  *slog.Logger
	logs logs.Source
}

// Register adds the pages to mux.
func Register(mux *http.ServeMux, o Options) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Logs == nil {
		o.Logs = logs.Files{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Routes == nil {
		o.Routes = func() []string { return nil }
	}
	h := &handler{Options: o, src: o.Source, auth: o.Auth, log: o.Logger, logs: o.Logs}
	mux.HandleFunc("GET /login", h.loginForm)
	mux.HandleFunc("POST /login", h.login)
	mux.HandleFunc("POST /logout", h.logout)
	mux.HandleFunc("GET /{$}", h.viewer(h.home))
	mux.HandleFunc("GET /pipelines/{name}", h.viewer(h.pipeline))
	mux.HandleFunc("GET /pipelines/{name}/runbook", h.viewer(h.runbook))
	mux.HandleFunc("GET /runs/{id}", h.viewer(h.run))
	mux.HandleFunc("GET /runs/{id}/attempts/{attempt}/log", h.viewer(h.attemptLog))
	mux.HandleFunc("GET /runs/{id}/attempts/{attempt}/log.txt", h.viewer(h.attemptLogText))
	mux.HandleFunc("GET /deployments", h.viewer(h.deployments))
	mux.HandleFunc("GET /deployments/{id}", h.viewer(h.deployment))
	mux.HandleFunc("GET /audit", h.viewer(h.audit))
	mux.HandleFunc("GET /alerts", h.viewer(h.alerts))
	mux.HandleFunc("GET /alerts/{id}", h.viewer(h.alert))
	h.registerActions(mux)
	for _, name := range []string{"style.css", "live.js"} {
		mux.HandleFunc("GET /ui/assets/"+name, func(w http.ResponseWriter, r *http.Request) {
			http.ServeFileFS(w, r, assets, "assets/"+name)
		})
	}
	mux.HandleFunc("/", h.rest)
}

// rest serves what no page matches: the API's paths go to the API (its
// JSON errors included), anything else is a page that does not exist.
func (h *handler) rest(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if h.API != nil && (strings.HasPrefix(p, "/api/") || p == "/metrics" || p == "/healthz" || p == "/readyz") {
		h.API.ServeHTTP(w, r)
		return
	}
	if s, ok, err := h.authenticate(r); err == nil && ok {
		r = r.WithContext(withSession(r.Context(), s))
	}
	h.failWith(w, r, http.StatusNotFound, "There is no page at "+p+".")
}

type sessionKey struct{}

// session is who a page is shown to.
type session struct {
	api.Principal
	token string
}

// sessionFrom returns the request's signed-in session.
func sessionFrom(ctx context.Context) session {
	s, _ := ctx.Value(sessionKey{}).(session)
	return s
}

// authenticate reads the browser's cookie: its session, or ok false when
// it has none that may read, or an error when the check itself failed.
func (h *handler) authenticate(r *http.Request) (session, bool, error) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return session{}, false, nil
	}
	p, err := h.auth.Authenticate(r.Context(), c.Value)
	switch {
	case err == nil && api.RoleAllows(p.Role, api.PermRead):
		return session{Principal: p, token: c.Value}, true, nil
	case err != nil && !errors.Is(err, api.ErrUnauthenticated):
		return session{}, false, err
	}
	return session{}, false, nil
}

// viewer runs page for a browser whose cookie holds a token that may
// read; any other is sent to /login, and back here after.
func (h *handler) viewer(page http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok, err := h.authenticate(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !ok {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		page(w, r.WithContext(withSession(r.Context(), s)))
	}
}

// view is what every page's layout shows around its own data.
type view struct {
	Title string
	Nav   string // the top navigation's current entry
	User  api.Principal
	CSRF  string
	Flash string
	// Refresh asks live.js to reload the page every so many seconds
	// (0: never): pages of work in flight.
	Refresh int
	Data    any
}

// Can reports whether the signed-in role may do what perm names
// (operate, deploy, approve): only to decide which buttons to offer; the
// API decides what is allowed.
func (v view) Can(perm string) bool { return api.RoleAllows(v.User.Role, api.Permission(perm)) }

// page renders name for a signed-in session.
func (h *handler) page(w http.ResponseWriter, r *http.Request, name, title, nav string, data any) {
	s := sessionFrom(r.Context())
	v := view{Title: title, Nav: nav, User: s.Principal, Data: data, Flash: r.URL.Query().Get("done")}
	if s.token != "" {
		v.CSRF = csrfFor(s.token)
	}
	if rf, ok := data.(interface{ refresh() int }); ok {
		v.Refresh = rf.refresh()
	}
	h.render(w, http.StatusOK, name, v)
}

// csp allows this server's own scripts, styles and images only: no
// inline script, no framing.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (h *handler) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// No framing (clickjacking the sign-in form or a run's buttons), and
	// no copies of run data or logs in caches or the back-forward cache.
	w.Header().Set("Content-Security-Policy", csp)
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	if err := pages().ExecuteTemplate(w, name, data); err != nil {
		h.log.Error("ui render", "page", name, "err", err)
	}
}

type errorPage struct {
	Status  int
	Message string
}

func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, "Something went wrong; see the server's log."
	switch {
	case errors.Is(err, errNotFound):
		status, msg = http.StatusNotFound, err.Error()
	case errors.Is(err, errBadInput):
		status, msg = http.StatusBadRequest, err.Error()
	default:
		h.log.ErrorContext(r.Context(), "ui page", "path", r.URL.Path, "err", err)
	}
	h.failWith(w, r, status, msg)
}

// failWith shows an error page with status and msg.
func (h *handler) failWith(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s := sessionFrom(r.Context())
	v := view{Title: "Error", User: s.Principal, Data: errorPage{Status: status, Message: msg}}
	if s.token != "" {
		v.CSRF = csrfFor(s.token)
	}
	h.render(w, status, "error.html", v)
}
