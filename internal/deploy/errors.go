package deploy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/store"
)

// Errors the API maps to HTTP statuses; every error the Service returns
// for a bad request wraps one of them.
var (
	ErrNotFound     = store.ErrNotFound          // 404: no such pipeline, revision, deployment or token
	ErrConflict     = store.ErrConflict          // 409: the state does not allow it (not pending, already approved)
	ErrForbidden    = errors.New("forbidden")    // 403: this person may not do this
	ErrInvalid      = errors.New("invalid")      // 400: a malformed request
	ErrUnauthorized = errors.New("unauthorized") // 401: an unknown or revoked token
)

// GateError refuses a deployment the readiness gate rejected: nothing
// was stored. Each refused pipeline's report holds every finding, for
// printing with check.WriteText.
type GateError struct {
	Env     string
	Refused []GateReport
}

// GateReport is the gate's report on one pipeline.
type GateReport struct {
	Pipeline string
	Report   *check.Report
}

func (e *GateError) Error() string {
	var parts []string
	for _, r := range e.Refused {
		n := r.Report.Count(check.SeverityError)
		parts = append(parts, fmt.Sprintf("%s (%d error%s)", r.Pipeline, n, plural(n)))
	}
	return fmt.Sprintf("the readiness gate refused %s for %s: nothing was deployed", strings.Join(parts, ", "), e.Env)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
