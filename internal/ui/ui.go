package ui

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/logs"
	"github.com/gantryhq/gantry/internal/record"
)

//go:embed assets
var assets embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"when":     when,
	"duration": duration,
	"short":    short,
}).ParseFS(assets, "assets/*.html"))

// Source is what the pages read.
type Source interface {
	GetRun(ctx context.Context, id int64) (record.Run, []record.RunTask, error)
	ListAttempts(ctx context.Context, runID int64, task string) ([]record.TaskAttempt, error)
	// Runbook returns the text of a pipeline's runbook file, or
	// store.ErrNotFound.
	Runbook(ctx context.Context, pipeline string) (string, error)
}

// Options configure a Handler.
type Options struct {
	Source Source
	Auth   api.Authenticator // required: every page needs a viewer token
	Logger *slog.Logger
	Logs   logs.Source // attempts' logs; nil: the local files their records name
}

// cookieName holds the API token a browser signed in with.
const cookieName = "gantry_token"

type handler struct {
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
	h := &handler{src: o.Source, auth: o.Auth, log: o.Logger, logs: o.Logs}
	mux.HandleFunc("GET /login", h.loginForm)
	mux.HandleFunc("POST /login", h.login)
	mux.HandleFunc("POST /logout", h.logout)
	mux.HandleFunc("GET /runs/{id}", h.viewer(h.run))
	mux.HandleFunc("GET /runs/{id}/attempts/{attempt}/log", h.viewer(h.attemptLog))
	mux.HandleFunc("GET /pipelines/{name}/runbook", h.viewer(h.runbook))
	mux.Handle("GET /ui/assets/", http.StripPrefix("/ui/", http.FileServerFS(assets)))
}

// viewer runs page for a browser whose cookie holds a token that may
// read; any other is sent to /login, and back here after.
func (h *handler) viewer(page http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(cookieName)
		if err == nil {
			p, aerr := h.auth.Authenticate(r.Context(), c.Value)
			switch {
			case aerr == nil && api.RoleAllows(p.Role, api.PermRead):
				page(w, r)
				return
			case aerr != nil && !errors.Is(aerr, api.ErrUnauthenticated):
				h.fail(w, r, aerr)
				return
			}
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	}
}

func (h *handler) render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// No framing (clickjacking the sign-in form or a run's buttons), and
	// no copies of run data or logs in caches or the back-forward cache.
	w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := pages.ExecuteTemplate(w, name, data); err != nil {
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
	default:
		h.log.ErrorContext(r.Context(), "ui page", "path", r.URL.Path, "err", err)
	}
	h.render(w, status, "error.html", errorPage{Status: status, Message: msg})
}

func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 MST")
}

func duration(from, to time.Time) string {
	if from.IsZero() || to.IsZero() {
		return "—"
	}
	return to.Sub(from).Round(time.Millisecond).String()
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}
