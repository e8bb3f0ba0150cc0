package ui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/api"
)

// csrfCookie holds the sign-in form's anti-forgery token: a page on
// another site can make a browser POST /login (and sign it in as a token
// of the attacker's choosing) but can neither read nor set this cookie,
// so it cannot send the matching form field.
const csrfCookie = "gantry_csrf"

type loginPage struct {
	Next, Error, CSRF string
}

func (h *handler) loginForm(w http.ResponseWriter, r *http.Request) {
	page := loginPage{Next: safeNext(r.URL.Query().Get("next")), CSRF: csrfToken(w, r)}
	h.render(w, http.StatusOK, "login.html", view{Title: "Sign in", Data: page})
}

func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	token := strings.TrimSpace(r.PostFormValue("token"))
	next := safeNext(r.PostFormValue("next"))
	if !csrfMatches(r) {
		h.render(w, http.StatusForbidden, "login.html", view{Title: "Sign in", Data: loginPage{Next: next, CSRF: csrfToken(w, r),
			Error: "This sign-in form was not sent from this server's sign-in page (or it expired); you are not signed in. Sign in again here."}})
		return
	}
	p, err := h.auth.Authenticate(r.Context(), token)
	if err != nil || !api.RoleAllows(p.Role, api.PermRead) {
		msg := "That token is unknown or was revoked."
		if err != nil && !errors.Is(err, api.ErrUnauthenticated) {
			h.log.ErrorContext(r.Context(), "ui login", "err", err)
			msg = "The server could not check the token; see its log."
		}
		h.render(w, http.StatusUnauthorized, "login.html", view{Title: "Sign in", Data: loginPage{Next: next, Error: msg, CSRF: csrfToken(w, r)}})
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil, MaxAge: int((12 * time.Hour).Seconds()),
	})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	// Another site cannot sign a browser out: a session's sign-out form
	// carries its anti-forgery token. A browser with no valid session
	// has nothing to lose, and its cookie is cleared.
	s, ok, err := h.authenticate(r)
	if err != nil {
		// Whether this browser is signed in cannot be told now: the form
		// cannot be checked, so nothing is changed.
		h.fail(w, r, err)
		return
	}
	if ok {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil || !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(csrfFor(s.token))) {
			h.failWith(w, r.WithContext(withSession(r.Context(), s)), http.StatusForbidden,
				"This sign-out was not sent from one of this server's pages (a missing or wrong CSRF token); you are still signed in.")
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// csrfToken returns the browser's anti-forgery token, setting a new one
// when it has none, so that sign-in forms open in several tabs all work.
func csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && validCSRF(c.Value) {
		return c.Value
	}
	tok := rand.Text()
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookie, Value: tok, Path: "/login", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil,
	})
	return tok
}

// validCSRF reports whether tok looks like one csrfToken made.
func validCSRF(tok string) bool {
	if len(tok) != len(rand.Text()) {
		return false
	}
	for _, c := range tok {
		if !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", c) {
			return false
		}
	}
	return true
}

// csrfMatches reports whether a sign-in POST carries the cookie's token in
// its form: the double-submit check.
func csrfMatches(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	if err != nil || !validCSRF(c.Value) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) == 1
}

// home is where a sign-in goes when its next is missing or refused.
const home = "/"

// safeNext keeps a redirect target on this server: an absolute path with
// no scheme, host, backslash or control character, that no browser reads
// as another origin ("//host", "/\host", "/<TAB>/host", which browsers
// strip to "//host"). Anything else goes home.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || unsafeChars(next) {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return home
	}
	// The decoded path too: "/%2F/host" and "/%5Chost" are cleaned or
	// decoded into "//host" by some clients.
	if unsafeChars(u.Path) || strings.HasPrefix(u.Path, "//") || strings.HasPrefix(next, "//") {
		return home
	}
	return next
}

// unsafeChars reports a control byte, DEL or backslash in s.
func unsafeChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return true
		}
	}
	return false
}
