package ui

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

type source struct{}

func (source) GetRun(_ context.Context, id int64) (record.Run, []record.RunTask, error) {
	if id != 7 {
		return record.Run{}, nil, store.ErrNotFound
	}
	return record.Run{ID: 7, Pipeline: "orders", State: record.RunFailed, Error: "task load failed: <script>x</script>"},
		[]record.RunTask{{RunID: 7, Task: "load", State: record.TaskFailed, Attempts: 1}}, nil
}

// logPath is the one attempt's log file, written by the test.
var logPath = filepath.Join(os.TempDir(), fmt.Sprintf("gantry-ui-test-%d.log", os.Getpid()))

func (source) ListAttempts(context.Context, int64, string) ([]record.TaskAttempt, error) {
	return []record.TaskAttempt{{ID: 31, Task: "load", Attempt: 1, State: record.TaskFailed, ExitCode: 3, Error: "exit status 3", LogPath: logPath}}, nil
}

func (source) Runbook(_ context.Context, name string) (string, error) {
	if name != "orders" {
		return "", store.ErrNotFound
	}
	return "# Orders\n\n## When it fails\n\nRetry.\n", nil
}

type tokens map[string]string // token → role

func (t tokens) Authenticate(_ context.Context, tok string) (api.Principal, error) {
	if role, ok := t[tok]; ok {
		return api.Principal{User: "u", Role: role}, nil
	}
	return api.Principal{}, fmt.Errorf("token: %w", api.ErrUnauthenticated)
}

func TestPagesNeedAToken(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	Register(mux, Options{Source: source{}, Auth: tokens{"v": "viewer"}})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path, cookie string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: cookieName, Value: cookie})
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(body)
	}
	for _, cookie := range []string{"", "forged"} {
		resp, _ := get("/runs/7", cookie)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Fruns%2F7" {
			t.Errorf("cookie %q: %d to %q, want 303 to the sign-in page", cookie, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	resp, body := get("/runs/7", "v")
	if resp.StatusCode != 200 || !strings.Contains(body, `id="state" class="state failed"`) ||
		!strings.Contains(body, "&lt;script&gt;") || strings.Contains(body, "<script>x") {
		t.Errorf("run page: %d\n%s", resp.StatusCode, body)
	}
	if err := os.WriteFile(logPath, []byte("connecting\n<b>refused</b>\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(logPath) })
	if resp, body := get("/runs/7/attempts/31/log", "v"); resp.StatusCode != 200 || !strings.Contains(body, "&lt;b&gt;refused&lt;/b&gt;") {
		t.Errorf("log page: %d %s", resp.StatusCode, body)
	}
	if resp, _ := get("/runs/7/attempts/32/log", "v"); resp.StatusCode != 404 {
		t.Errorf("log of a missing attempt: %d", resp.StatusCode)
	}
	if resp, _ := get("/runs/7/attempts/31/log", ""); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("log without signing in: %d", resp.StatusCode)
	}
	if resp, body := get("/runs/8", "v"); resp.StatusCode != 404 || !strings.Contains(body, "no run 8") {
		t.Errorf("missing run: %d %s", resp.StatusCode, body)
	}
	if resp, body := get("/pipelines/orders/runbook", "v"); resp.StatusCode != 200 || !strings.Contains(body, `<a id="task-failed"></a><h2 id="when-it-fails">`) {
		t.Errorf("runbook: %d %s", resp.StatusCode, body)
	}

	// Signing in sets an HttpOnly cookie and goes back; a bad token does not.
	csrf, field := loginForm(t, srv, noRedirect)
	login := func(tok, next string) *http.Response {
		form := url.Values{"token": {tok}, "next": {next}, "csrf": {field}}
		req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(csrf)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if r := login("forged", "/runs/7"); r.StatusCode != http.StatusUnauthorized || len(r.Cookies()) != 0 {
		t.Errorf("a forged token: %d, cookies %v", r.StatusCode, r.Cookies())
	}
	r := login("v", "https://evil.example/")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Errorf("sign-in redirect: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	if cs := r.Cookies(); len(cs) != 1 || !cs[0].HttpOnly || cs[0].SameSite != http.SameSiteStrictMode {
		t.Errorf("cookie %+v", cs)
	}
}
