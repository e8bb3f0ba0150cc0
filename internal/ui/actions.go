package ui

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/record"
)

// errBadInput is a form the page cannot turn into a request.
var errBadInput = errors.New("bad input")

// csrfFor is the anti-forgery token of the session signed in with token:
// an HMAC of a fixed label keyed by the token. A page on another site
// cannot read it (it has neither the HttpOnly cookie nor this page), so
// it cannot send it with a forged POST; a session's every form carries it.
func csrfFor(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("gantry ui csrf v1"))
	return hex.EncodeToString(m.Sum(nil))
}

// action is one button: the API call its form becomes, and where the
// browser goes once the API took it.
type action struct {
	// call returns the API path to POST and its JSON body (nil: none)
	// from the form.
	call func(r *http.Request) (path string, body any, err error)
	// done is where to go after a 2xx answer, and what to say there; a
	// nil done with a page renders that page instead (backfill previews).
	done func(r *http.Request, resp []byte) (to, flash string)
	page func(h *handler, w http.ResponseWriter, r *http.Request, resp []byte)
}

func (h *handler) registerActions(mux *http.ServeMux) {
	acts := map[string]action{
		"POST /pipelines/{name}/trigger": {call: triggerCall, done: toRun("triggered")},
		"POST /pipelines/{name}/pause":   {call: pathCall("/api/v1/pipelines/%s/pause", "name"), done: toPipeline("paused: no scheduled runs until resumed")},
		"POST /pipelines/{name}/resume":  {call: pathCall("/api/v1/pipelines/%s/resume", "name"), done: toPipeline("resumed")},
		"POST /pipelines/{name}/backfill": {call: backfillCall, done: backfillDone,
			page: (*handler).backfillPreview},
		"POST /runs/{id}/cancel":               {call: pathCall("/api/v1/runs/%s/cancel", "id"), done: toRun("cancelled")},
		"POST /dead-letters/{id}/replay":       {call: pathCall("/api/v1/dead-letters/%s/replay", "id"), done: toRun("replayed")},
		"POST /deployments/{id}/approve":       {call: approveCall, done: toDeployment("approved")},
		"POST /runs/{id}/tasks/{task}/approve": {call: decideTaskCall(true), done: toRunTask("approved")},
		"POST /runs/{id}/tasks/{task}/reject":  {call: decideTaskCall(false), done: toRunTask("rejected")},
		"POST /deployments/{id}/reject":        {call: rejectCall, done: toDeployment("rejected")},
		"POST /alerts/silences":                {call: silenceCall, done: toAlerts("silence added")},
		"POST /alerts/silences/{id}/expire": {call: pathCall("/api/v1/silences/%s/expire", "id"),
			done: toAlerts("silence expired")},
		"POST /alerts/test": {call: testFireCall, done: testFireDone},
	}
	for pattern, a := range acts {
		mux.HandleFunc(pattern, h.act(a))
	}
}

// maxFormBytes bounds a button's form.
const maxFormBytes = 64 << 10

// act serves a button's POST: a signed-in session, its CSRF token, then
// the API call with the session's token. The API checks the role and
// every rule; its refusal is shown with its status and words.
func (h *handler) act(a action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok, err := h.authenticate(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !ok {
			h.failWith(w, r, http.StatusUnauthorized, "You are not signed in (or the token was revoked); nothing was changed. Sign in and try again.")
			return
		}
		r = r.WithContext(withSession(r.Context(), s))
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			h.failWith(w, r, http.StatusBadRequest, "The form could not be read: "+err.Error())
			return
		}
		if !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(csrfFor(s.token))) {
			h.failWith(w, r, http.StatusForbidden, "This form was not sent from one of this server's pages for your session (a missing or wrong CSRF token); nothing was changed.")
			return
		}
		if h.API == nil {
			h.failWith(w, r, http.StatusServiceUnavailable, "This server has no API to act through.")
			return
		}
		path, body, err := a.call(r)
		if err != nil {
			h.failWith(w, r, http.StatusBadRequest, err.Error())
			return
		}
		status, resp := h.callAPI(r, s, path, body)
		if status < 200 || status > 299 {
			h.failWith(w, r, status, apiMessage(status, resp))
			return
		}
		if a.page != nil && r.PostForm.Get("dry_run") != "" {
			a.page(h, w, r, resp)
			return
		}
		to, flash := a.done(r, resp)
		http.Redirect(w, r, withFlash(to, flash), http.StatusSeeOther)
	}
}

// callAPI serves one API request in process, as the session's token.
func (h *handler) callAPI(r *http.Request, s session, path string, body any) (int, []byte) {
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return http.StatusInternalServerError, nil
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, path, rd)
	if err != nil {
		return http.StatusBadRequest, []byte(`{"message":"bad request path"}`)
	}
	req.RemoteAddr = r.RemoteAddr
	req.Header.Set("Authorization", "Bearer "+s.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := &recorder{header: http.Header{}}
	h.API.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.status, rec.body.Bytes()
}

// recorder keeps what the API answered.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.header }
func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(b)
}
func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

// apiMessage is the API's error message, for the page.
func apiMessage(status int, resp []byte) string {
	var e api.ErrorBody
	if json.Unmarshal(resp, &e) == nil && e.Message != "" {
		if e.Field != "" && !strings.HasPrefix(e.Message, e.Field) {
			return e.Field + ": " + e.Message + " (nothing was changed)"
		}
		return e.Message + " (nothing was changed)"
	}
	return fmt.Sprintf("The server refused this (HTTP %d); nothing was changed.", status)
}

func withSession(ctx context.Context, s session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// pathCall is an action whose API path has one path value and no body.
func pathCall(format, name string) func(*http.Request) (string, any, error) {
	return func(r *http.Request) (string, any, error) {
		return fmt.Sprintf(format, url.PathEscape(r.PathValue(name))), nil, nil
	}
}

func triggerCall(r *http.Request) (string, any, error) {
	body := api.TriggerBody{Date: strings.TrimSpace(r.PostForm.Get("date"))}
	params, err := parsePairs("params", r.PostForm.Get("params"))
	if err != nil {
		return "", nil, err
	}
	if len(params) > 0 {
		body.Params = map[string]string{}
		for _, p := range params {
			body.Params[p[0]] = p[1]
		}
	}
	return "/api/v1/pipelines/" + url.PathEscape(r.PathValue("name")) + "/trigger", body, nil
}

func backfillCall(r *http.Request) (string, any, error) {
	req := api.BackfillRequest{Pipeline: r.PathValue("name"), From: strings.TrimSpace(r.PostForm.Get("from")),
		To: strings.TrimSpace(r.PostForm.Get("to")), DryRun: r.PostForm.Get("dry_run") != ""}
	if p := strings.TrimSpace(r.PostForm.Get("parallel")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return "", nil, fmt.Errorf("parallel: %q is not a whole number of runs at once (1 or more)", p)
		}
		req.Parallel = n
	}
	return "/api/v1/backfills", req, nil
}

func approveCall(r *http.Request) (string, any, error) {
	return "/api/v1/deployments/" + url.PathEscape(r.PathValue("id")) + "/approve",
		api.ApproveRequest{Comment: strings.TrimSpace(r.PostForm.Get("comment"))}, nil
}

// decideTaskCall approves or rejects an approval task of a run.
func decideTaskCall(approve bool) func(*http.Request) (string, any, error) {
	return func(r *http.Request) (string, any, error) {
		path := "/api/v1/runs/" + url.PathEscape(r.PathValue("id")) + "/tasks/" + url.PathEscape(r.PathValue("task"))
		text := strings.TrimSpace(r.PostForm.Get("comment"))
		if approve {
			return path + "/approve", api.TaskDecisionRequest{Comment: text}, nil
		}
		return path + "/reject", api.TaskDecisionRequest{Reason: strings.TrimSpace(r.PostForm.Get("reason"))}, nil
	}
}

func rejectCall(r *http.Request) (string, any, error) {
	return "/api/v1/deployments/" + url.PathEscape(r.PathValue("id")) + "/reject",
		api.RejectRequest{Reason: strings.TrimSpace(r.PostForm.Get("reason"))}, nil
}

func silenceCall(r *http.Request) (string, any, error) {
	pairs, err := parseMatchers(r.PostForm.Get("matchers"))
	if err != nil {
		return "", nil, err
	}
	d, err := time.ParseDuration(strings.TrimSpace(r.PostForm.Get("duration")))
	if err != nil || d <= 0 {
		return "", nil, fmt.Errorf("duration: %q is not a duration like 2h or 30m", r.PostForm.Get("duration"))
	}
	return "/api/v1/silences", api.SilenceRequest{Matchers: pairs, DurationSeconds: d.Seconds(),
		Reason: strings.TrimSpace(r.PostForm.Get("reason"))}, nil
}

func testFireCall(r *http.Request) (string, any, error) {
	return "/api/v1/alerts/test", api.TestFireRequest{Route: strings.TrimSpace(r.PostForm.Get("route"))}, nil
}

// parsePairs reads "key=value" lines (or comma-separated pairs).
func parsePairs(field, text string) ([][2]string, error) {
	var out [][2]string
	for i, line := range strings.FieldsFunc(text, func(c rune) bool { return c == '\n' || c == ',' }) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%s, entry %d: %q is not key=value", field, i+1, line)
		}
		out = append(out, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	return out, nil
}

// parseMatchers reads silence matchers, one a line: name=value,
// name!=value, name=~regexp or name!~regexp.
func parseMatchers(text string) ([]record.Matcher, error) {
	var out []record.Matcher
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		m, ok := matcher(line)
		if !ok {
			return nil, fmt.Errorf("matchers, line %d: %q is not name=value, name!=value, name=~regexp or name!~regexp", i+1, line)
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, errors.New("matchers: give at least one, like pipeline=orders_daily")
	}
	return out, nil
}

func matcher(line string) (record.Matcher, bool) {
	for _, op := range []string{record.MatchNotRegex, record.MatchRegexp, record.MatchNotEqual, record.MatchEqual} {
		if i := strings.Index(line, op); i > 0 {
			if op == record.MatchEqual && (strings.HasSuffix(line[:i], "!") || strings.HasPrefix(line[i+1:], "~")) {
				continue
			}
			return record.Matcher{Name: strings.TrimSpace(line[:i]), Op: op, Value: strings.TrimSpace(line[i+len(op):])}, true
		}
	}
	return record.Matcher{}, false
}

func toRun(what string) func(*http.Request, []byte) (string, string) {
	return func(r *http.Request, resp []byte) (string, string) {
		var v struct {
			ID int64 `json:"id"`
		}
		if json.Unmarshal(resp, &v) != nil || v.ID == 0 {
			return "/", what
		}
		return "/runs/" + strconv.FormatInt(v.ID, 10), fmt.Sprintf("run %d %s", v.ID, what)
	}
}

// toRunTask goes back to the run of an approval task just decided.
func toRunTask(what string) func(*http.Request, []byte) (string, string) {
	return func(r *http.Request, resp []byte) (string, string) {
		flash := r.PathValue("task") + " " + what
		var v api.TaskApprovalView
		if json.Unmarshal(resp, &v) == nil && v.State == record.ApprovalWaiting {
			flash += fmt.Sprintf("; %d of %d approval(s) given", len(v.ApprovedBy), v.Required)
		}
		return "/runs/" + url.PathEscape(r.PathValue("id")), flash
	}
}

func toPipeline(what string) func(*http.Request, []byte) (string, string) {
	return func(r *http.Request, _ []byte) (string, string) {
		name := r.PathValue("name")
		return "/pipelines/" + url.PathEscape(name), name + " " + what
	}
}

func toDeployment(what string) func(*http.Request, []byte) (string, string) {
	return func(r *http.Request, resp []byte) (string, string) {
		id := r.PathValue("id")
		flash := "deployment " + id + " " + what
		var v struct {
			Deployment struct {
				State string `json:"state"`
			} `json:"deployment"`
			State string `json:"state"`
		}
		if json.Unmarshal(resp, &v) == nil {
			if st := v.Deployment.State + v.State; st != "" {
				flash += "; it is now " + st
			}
		}
		return "/deployments/" + url.PathEscape(id), flash
	}
}

func toAlerts(what string) func(*http.Request, []byte) (string, string) {
	return func(*http.Request, []byte) (string, string) { return "/alerts", what }
}

func testFireDone(_ *http.Request, resp []byte) (string, string) {
	var v api.TestFireView
	if json.Unmarshal(resp, &v) != nil {
		return "/alerts", "test alert sent"
	}
	msg := fmt.Sprintf("test alert %d through route %s: %d of %d channels took it", v.ID, v.Route, len(v.Channels)-len(v.Failed), len(v.Channels))
	if len(v.Failed) > 0 {
		msg += "; failed: " + strings.Join(v.Failed, ", ")
	}
	return "/alerts#test-fires", msg
}

func backfillDone(r *http.Request, resp []byte) (string, string) {
	name := r.PathValue("name")
	var v struct {
		Backfill struct {
			ID    int64 `json:"id"`
			Total int   `json:"total"`
		} `json:"backfill"`
	}
	_ = json.Unmarshal(resp, &v)
	return "/pipelines/" + url.PathEscape(name), fmt.Sprintf("backfill %d created: %d runs", v.Backfill.ID, v.Backfill.Total)
}

// withFlash adds flash to the query of path to (before its #fragment),
// for the page it lands on to show.
func withFlash(to, flash string) string {
	if flash == "" {
		return to
	}
	to, frag, hasFrag := strings.Cut(to, "#")
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	to += sep + "done=" + url.QueryEscape(flash)
	if hasFrag {
		to += "#" + frag
	}
	return to
}
