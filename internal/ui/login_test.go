package ui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, next, want string }{
		{"a page", "/runs/7", "/runs/7"},
		{"query and fragment", "/ok?x=1#y", "/ok?x=1#y"},
		{"escaped query", "/login?next=%2Fruns%2F7", "/login?next=%2Fruns%2F7"},
		{"empty", "", "/"},
		{"tab, decoded", "/\t/host", "/"},
		{"tab, escaped", "/%09/host", "/"},
		{"newline", "/\n/host", "/"},
		{"carriage return", "/\r//host", "/"},
		{"NUL", "/\x00/host", "/"},
		{"DEL", "/\x7f/host", "/"},
		{"scheme-relative", "//evil", "/"},
		{"scheme-relative with path", "//evil.example/runs/7", "/"},
		{"backslash", "/\\evil", "/"},
		{"two backslashes", "\\\\evil", "/"},
		{"escaped backslash", "/%5Cevil", "/"},
		{"escaped slash", "/%2F/evil", "/"},
		{"escaped both slashes", "%2F%2Fevil", "/"},
		{"absolute URL", "https://evil", "/"},
		{"javascript", "javascript:alert(1)", "/"},
		{"relative", "runs/7", "/"},
		{"userinfo trick", "/@evil", "/@evil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := safeNext(tc.next); got != tc.want {
				t.Errorf("safeNext(%q) = %q, want %q", tc.next, got, tc.want)
			}
		})
	}
}

// loginServer serves the pages with one viewer token, "v".
func loginServer(t *testing.T) (*httptest.Server, *http.Client) {
	t.Helper()
	mux := http.NewServeMux()
	Register(mux, Options{Source: source{}, Auth: tokens{"v": "viewer"}})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]*)"`)

// loginForm fetches the sign-in form: its CSRF cookie and the field's value.
func loginForm(t *testing.T, srv *httptest.Server, c *http.Client) (*http.Cookie, string) {
	t.Helper()
	resp, err := c.Get(srv.URL + "/login?next=%2Fruns%2F7")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == csrfCookie {
			cookie = ck
		}
	}
	m := csrfField.FindStringSubmatch(string(body))
	if resp.StatusCode != 200 || cookie == nil || m == nil {
		t.Fatalf("sign-in form: %d, cookie %v, field %v\n%s", resp.StatusCode, cookie, m, body)
	}
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/login" {
		t.Errorf("CSRF cookie %+v: want HttpOnly, SameSite=Strict, Path=/login", cookie)
	}
	if cookie.Value != m[1] {
		t.Errorf("CSRF cookie %q and field %q differ", cookie.Value, m[1])
	}
	return cookie, m[1]
}

// A sign-in POST that did not come from the server's own form (no CSRF
// token, or one that does not match the cookie) is refused and signs no
// one in; the real form's works.
func TestLoginNeedsTheFormsCSRFToken(t *testing.T) {
	t.Parallel()
	srv, c := loginServer(t)
	cookie, field := loginForm(t, srv, c)
	other, _ := loginForm(t, srv, c)
	post := func(ck *http.Cookie, csrf string) (*http.Response, string) {
		form := url.Values{"token": {"v"}, "next": {"/runs/7"}}
		if csrf != "" {
			form.Set("csrf", csrf)
		}
		req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if ck != nil {
			req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(body)
	}
	signedIn := func(resp *http.Response) bool {
		for _, ck := range resp.Cookies() {
			if ck.Name == cookieName && ck.Value != "" {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		name   string
		cookie *http.Cookie
		csrf   string
	}{
		{"neither", nil, ""},
		{"no cookie", nil, field},
		{"no field", cookie, ""},
		{"wrong field", cookie, strings.Repeat("A", len(field))},
		{"another form's cookie", other, field},
		{"field and cookie both forged", &http.Cookie{Name: csrfCookie, Value: "x"}, "x"},
	} {
		resp, body := post(tc.cookie, tc.csrf)
		if resp.StatusCode != http.StatusForbidden || signedIn(resp) {
			t.Errorf("%s: %d, signed in %v; want 403 and no session", tc.name, resp.StatusCode, signedIn(resp))
		}
		if !strings.Contains(body, "not sent from this server") || csrfField.FindStringSubmatch(body) == nil {
			t.Errorf("%s: the refusal page does not say why or offer a fresh form:\n%s", tc.name, body)
		}
	}
	resp, _ := post(cookie, field)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/runs/7" || !signedIn(resp) {
		t.Errorf("the form's own token: %d to %q, signed in %v", resp.StatusCode, resp.Header.Get("Location"), signedIn(resp))
	}
}

// A sign-in whose next would leave the server goes home instead.
func TestLoginRedirectStaysOnTheServer(t *testing.T) {
	t.Parallel()
	srv, c := loginServer(t)
	cookie, field := loginForm(t, srv, c)
	for _, next := range []string{"/\t/evil.example", "//evil.example", "https://evil.example/", "/\\evil.example"} {
		form := url.Values{"token": {"v"}, "next": {next}, "csrf": {field}}
		req, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(cookie)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Errorf("next %q: %d to %q, want 303 to /", next, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	// The form does not carry the bad target either.
	resp, err := c.Get(srv.URL + "/login?next=/%09/evil.example")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `name="next" value="/"`) {
		t.Errorf("the form keeps a bad next:\n%s", body)
	}
}

// Every page forbids framing and caching: the sign-in form, a run, a log,
// a runbook, an error.
func TestPageHeaders(t *testing.T) {
	t.Parallel()
	srv, c := loginServer(t)
	for _, path := range []string{"/login", "/runs/7", "/runs/7/attempts/31/log", "/pipelines/orders/runbook", "/runs/8"} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.AddCookie(&http.Cookie{Name: cookieName, Value: "v"})
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q, want frame-ancestors 'none'", path, csp)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", path, cc)
		}
	}
}
