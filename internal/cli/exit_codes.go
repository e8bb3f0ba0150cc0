package cli

import (
	"context"
	"errors"
	"net"
	"net/http"
	"syscall"

	"github.com/gantryhq/gantry/internal/api/apiclient"
	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/spf13/cobra"
)

// exitCodesHelp is the table gantry help exit-codes prints; the README
// holds the same.
const exitCodesHelp = `Every gantry command exits with one of these codes, the same whether it
works on the local store or through a server (--server):

  0    done: the command did what it was asked; a run or staging run succeeded
  1    the thing failed: a run, a staging run, a check or validation found
       errors, a readiness verdict NOT READY
  2    usage or bad input: an unknown flag, a malformed value, a request the
       server answered 400
  3    not found: no such run, task, pipeline, revision, deployment, token, alert
  4    refused: the readiness gate, a missing approval, a store another process
       holds, a policy (a rollback to a failed revision), a role that may not,
       a missing or revoked token, a state that does not allow it
  5    unreachable: the store or the server cannot be reached (down, refused,
       timed out, overloaded)
  130  interrupted: Ctrl-C, or the run was cancelled`

func newExitCodesTopic() *cobra.Command {
	return &cobra.Command{
		Use:   "exit-codes",
		Short: "The exit codes of every command",
		Long:  exitCodesHelp,
	}
}

// exitCodeOf is the exit code for an error by what it says went wrong;
// ExitFailed when it says nothing more particular.
func exitCodeOf(err error) int {
	var ee *exitError
	var ae *apiclient.Error
	var ge *deploy.GateError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ae):
		return statusExitCode(ae.Status)
	case errors.As(err, &ge),
		errors.Is(err, app.ErrStoreInUse),
		errors.Is(err, deploy.ErrForbidden),
		errors.Is(err, deploy.ErrUnauthorized),
		errors.Is(err, store.ErrConflict):
		return ExitRefused
	case errors.Is(err, store.ErrNotFound):
		return ExitNotFound
	case errors.Is(err, deploy.ErrInvalid):
		return ExitUsage
	case errors.Is(err, context.Canceled):
		return ExitCancelled
	case unreachable(err):
		return ExitUnavailable
	}
	return ExitFailed
}

// statusExitCode maps a server's answer to the exit code the same error
// has locally.
func statusExitCode(status int) int {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusMethodNotAllowed:
		return ExitUsage
	case http.StatusNotFound:
		return ExitNotFound
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity:
		return ExitRefused
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return ExitUnavailable
	}
	return ExitFailed
}

// unreachable tells an error reaching a store or server (refused, reset,
// timed out, no such host) from one it answered with.
func unreachable(err error) bool {
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	return errors.Is(err, store.ErrUnavailable) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) ||
		errors.As(err, &oe) || errors.As(err, &de) ||
		errors.As(err, &ne) && ne.Timeout()
}
