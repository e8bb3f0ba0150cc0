package api

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/gantryhq/gantry/internal/deploy"
)

// Permission is what a route needs of the caller's role.
type Permission string

// Permissions, from the least to the most powerful.
const (
	PermPublic  Permission = ""        // health, readiness, the OpenAPI document
	PermRead    Permission = "read"    // every GET under /api/v1
	PermOperate Permission = "operate" // trigger, cancel, pause, backfill, replay, reload, silences, test-fire
	PermDeploy  Permission = "deploy"  // deploy, promote, rollback
	PermApprove Permission = "approve" // approve, reject
	PermAdmin   Permission = "admin"   // tokens
)

// Roles a token can have, and what each may do. An approver cannot deploy
// and a deployer cannot approve, so that the two are different people.
var rolePerms = map[string][]Permission{
	deploy.RoleViewer:   {PermRead},
	deploy.RoleOperator: {PermRead, PermOperate},
	deploy.RoleDeployer: {PermRead, PermOperate, PermDeploy},
	deploy.RoleApprover: {PermRead, PermApprove},
	deploy.RoleAdmin:    {PermRead, PermOperate, PermDeploy, PermApprove, PermAdmin},
}

// Roles lists the roles, least powerful first.
func Roles() []string { return slices.Clone(deploy.Roles) }

// RoleAllows reports whether role grants p.
func RoleAllows(role string, p Permission) bool {
	return p == PermPublic || slices.Contains(rolePerms[role], p)
}

// rolesWith lists the roles that grant p, for error messages.
func rolesWith(p Permission) []string {
	var out []string
	for _, r := range Roles() {
		if RoleAllows(r, p) {
			out = append(out, r)
		}
	}
	return out
}

// Principal is who a request acts as.
type Principal struct {
	User string `json:"user"`
	Role string `json:"role"`
}

// Authenticator turns a bearer token into its principal. It returns
// ErrUnauthenticated (wrapped or not) for a token it does not know or that
// was revoked.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (Principal, error)
}

// ErrUnauthenticated is an unknown, revoked or missing token.
var ErrUnauthenticated = errors.New("unknown or revoked API token")

// Error codes of authentication failures.
const (
	CodeUnauthenticated = "unauthenticated" // 401
	CodeForbidden       = "forbidden"       // 403
)

type principalKey struct{}

// authorize wraps serve so that it runs only for a caller whose token's
// role grants perm. Without an Authenticator every call is allowed and
// acts as the user the X-Gantry-User header names (embedded use, tests).
func (h *handler) authorize(perm Permission, serve http.HandlerFunc) http.HandlerFunc {
	if perm == PermPublic || h.auth == nil {
		return serve
	}
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="gantry"`)
			writeError(w, http.StatusUnauthorized, CodeUnauthenticated,
				"this call needs an API token: send Authorization: Bearer TOKEN (create one with gantry token create)", "")
			return
		}
		p, err := h.auth.Authenticate(r.Context(), token)
		if err != nil {
			if errors.Is(err, ErrUnauthenticated) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="gantry", error="invalid_token"`)
				writeError(w, http.StatusUnauthorized, CodeUnauthenticated, "the API token is unknown or was revoked", "")
				return
			}
			h.fail(w, r, err)
			return
		}
		if !RoleAllows(p.Role, perm) {
			writeError(w, http.StatusForbidden, CodeForbidden,
				"user "+p.User+" has role "+p.Role+", which may not "+string(perm)+"; this needs role "+strings.Join(rolesWith(perm), " or "), "")
			return
		}
		serve(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

// bearer reads the token of an "Authorization: Bearer TOKEN" header.
func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

// PrincipalFrom returns the authenticated caller of a request, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
