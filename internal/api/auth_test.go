package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/api"
)

// tokens authenticates a fixed set of tokens: "<role>-token" has <role>.
type tokens struct{}

func (tokens) Authenticate(_ context.Context, token string) (api.Principal, error) {
	role, ok := strings.CutSuffix(token, "-token")
	if !ok || !api.RoleAllows(role, api.PermRead) {
		return api.Principal{}, fmt.Errorf("token: %w", api.ErrUnauthenticated)
	}
	return api.Principal{User: role + "-user", Role: role}, nil
}

// Every route but health, readiness and the API document needs a token; a
// caller without one gets 401, a role that does not allow the route 403,
// and in neither case does anything change.
func TestAuthEveryRoute(t *testing.T) {
	t.Parallel()
	for route, perm := range api.RoutePerms() {
		method, path, _ := strings.Cut(route, " ")
		path = strings.NewReplacer("{name}", "orders", "{id}", "1", "{fingerprint}", "f", "{route}", "r").Replace(path)
		for _, token := range append([]string{"", "forged-token"}, suffixed(api.Roles(), "-token")...) {
			t.Run(route+" as "+token, func(t *testing.T) {
				t.Parallel()
				svc := &fakeService{}
				srv := httptest.NewServer(api.NewHandler(svc, api.Options{Auth: tokens{}}))
				defer srv.Close()
				req, err := http.NewRequest(method, srv.URL+path, strings.NewReader("{}"))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				role, _ := strings.CutSuffix(token, "-token")
				want := 0 // anything but 401 and 403
				switch {
				case perm == api.PermPublic:
				case token == "" || token == "forged-token":
					want = http.StatusUnauthorized
				case !api.RoleAllows(role, perm):
					want = http.StatusForbidden
				}
				got := resp.StatusCode
				if want == 0 && (got == http.StatusUnauthorized || got == http.StatusForbidden) {
					t.Fatalf("status %d, want the call let through: %s", got, body)
				}
				if want != 0 {
					if got != want {
						t.Fatalf("status %d, want %d: %s", got, want, body)
					}
					if m := svc.mutated(); len(m) > 0 {
						t.Errorf("a refused call changed something: %v", m)
					}
					svc.mu.Lock()
					calls := svc.calls
					svc.mu.Unlock()
					if len(calls) > 0 {
						t.Errorf("a refused call reached the service: %v", calls)
					}
					if !strings.Contains(string(body), `"message"`) {
						t.Errorf("refusal has no message: %s", body)
					}
				}
				if want == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
			})
		}
	}
}

func suffixed(ss []string, suffix string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s + suffix
	}
	return out
}

// The acting user is the token's, whatever the X-Gantry-User header says.
func TestAuthActorIsTheTokens(t *testing.T) {
	t.Parallel()
	var got string
	svc := &fakeService{SetPausedFunc: func(_ context.Context, _ string, _ bool, actor string) error {
		got = actor
		return nil
	}}
	srv := httptest.NewServer(api.NewHandler(svc, api.Options{Auth: tokens{}}))
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/pipelines/orders/pause", nil)
	req.Header.Set("Authorization", "Bearer operator-token")
	req.Header.Set(api.UserHeader, "mallory")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 || got != "operator-user" {
		t.Errorf("status %d, actor %q; want 2xx as operator-user", resp.StatusCode, got)
	}
}
