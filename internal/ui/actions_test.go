package ui

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// apiCall is what the fake API was asked.
type apiCall struct {
	method, path, auth, body string
}

// fakeAPI answers every call with status and body, and records it.
type fakeAPI struct {
	status int
	body   string
	calls  []apiCall
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.calls = append(f.calls, apiCall{r.Method, r.URL.Path, r.Header.Get("Authorization"), string(b)})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.status)
	_, _ = io.WriteString(w, f.body)
}

func TestButtonsGoThroughTheAPIWithTheirCSRFToken(t *testing.T) {
	t.Parallel()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(t *testing.T, srv *httptest.Server, path, cookie string, form url.Values) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: cookieName, Value: cookie})
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	cases := []struct {
		name       string
		cookie     string
		form       url.Values
		api        fakeAPI
		wantStatus int
		wantCalls  int
		wantText   string // in the page, or the redirect's Location
	}{
		{"not signed in", "", url.Values{"csrf": {csrfFor("op")}}, fakeAPI{status: 201}, 401, 0, "not signed in"},
		{"no CSRF token", "op", url.Values{"date": {"2026-01-02"}}, fakeAPI{status: 201}, 403, 0, "CSRF"},
		{"another session's token", "op", url.Values{"csrf": {csrfFor("v")}}, fakeAPI{status: 201}, 403, 0, "CSRF"},
		{"the API refuses the role", "v", url.Values{"csrf": {csrfFor("v")}},
			fakeAPI{status: 403, body: `{"error":"forbidden","message":"user u has role viewer, which may not operate"}`}, 403, 1, "role viewer"},
		{"bad params", "op", url.Values{"csrf": {csrfFor("op")}, "params": {"novalue"}}, fakeAPI{status: 201}, 400, 0, "is not key=value"},
		{"done", "op", url.Values{"csrf": {csrfFor("op")}, "date": {"2026-01-02"}, "params": {"a=1\nb = two"}},
			fakeAPI{status: 201, body: `{"id":42}`}, 303, 1, "/runs/42?done="},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			fa := c.api
			mux := http.NewServeMux()
			Register(mux, Options{Source: source{}, Auth: tokens{"v": "viewer", "op": "operator"}, API: &fa})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			resp, body := post(t, srv, "/pipelines/orders/trigger", c.cookie, c.form)
			if resp.StatusCode != c.wantStatus {
				t.Fatalf("status %d, want %d:\n%s", resp.StatusCode, c.wantStatus, body)
			}
			if len(fa.calls) != c.wantCalls {
				t.Fatalf("%d API calls, want %d: %+v", len(fa.calls), c.wantCalls, fa.calls)
			}
			if !strings.Contains(body+resp.Header.Get("Location"), c.wantText) {
				t.Errorf("the answer lacks %q:\n%s %s", c.wantText, resp.Header.Get("Location"), body)
			}
			if c.wantStatus >= 400 && strings.Contains(body, "goroutine") {
				t.Errorf("a stack trace in the page:\n%s", body)
			}
			if c.wantCalls == 0 {
				return
			}
			call := fa.calls[0]
			if call.method != "POST" || call.path != "/api/v1/pipelines/orders/trigger" || call.auth != "Bearer "+c.cookie {
				t.Errorf("the API got %+v, want POST of the trigger with the session's token", call)
			}
			if c.name == "done" {
				var body struct {
					Date   string            `json:"date"`
					Params map[string]string `json:"params"`
				}
				if err := json.Unmarshal([]byte(call.body), &body); err != nil || body.Date != "2026-01-02" || body.Params["a"] != "1" || body.Params["b"] != "two" {
					t.Errorf("the API got body %s (%v)", call.body, err)
				}
			}
		})
	}
}

func TestSilenceMatchers(t *testing.T) {
	t.Parallel()
	ms, err := parseMatchers("pipeline=orders\nseverity!=info\n alertname=~Run.*\ntask!~x|y\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pipeline = orders", "severity != info", "alertname =~ Run.*", "task !~ x|y"}
	for i, m := range ms {
		if got := m.Name + " " + m.Op + " " + m.Value; i >= len(want) || got != want[i] {
			t.Errorf("matcher %d: %q, want %q", i, got, want[i])
		}
	}
	for _, bad := range []string{"", "noop", "=value"} {
		if _, err := parseMatchers(bad); err == nil {
			t.Errorf("matchers %q: no error", bad)
		}
	}
}

func TestPagesSendTheirCSP(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	Register(mux, Options{Source: source{}, Auth: tokens{"v": "viewer"}})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL+"/runs/7", nil)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: "v"})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if strings.Contains(string(body), "<script>x</script>") || !strings.Contains(string(body), "&lt;script&gt;x&lt;/script&gt;") {
		t.Errorf("the run's error is not escaped:\n%s", body)
	}
	if n := strings.Count(string(body), "<script"); n != 1 {
		t.Errorf("%d script tags, want only live.js's", n)
	}
}
