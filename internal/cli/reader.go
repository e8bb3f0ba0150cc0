package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/api/apiclient"
	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/logs"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/spf13/cobra"
)

// defaultServer is where gantry health asks when no server is named or
// found: the default address of `gantry serve`.
const defaultServer = "http://127.0.0.1:8080"

// reader is what the reading commands need, from the local store or from a
// server.
type reader interface {
	ListRuns(ctx context.Context, f store.RunFilter) ([]record.Run, error)
	GetRun(ctx context.Context, id int64) (record.Run, []record.RunTask, error)
	ListAttempts(ctx context.Context, runID int64, task string) ([]record.TaskAttempt, error)
	ListDeadLetters(ctx context.Context, f store.DeadLetterFilter) ([]record.DeadLetter, error)
	GetDeadLetter(ctx context.Context, id int64) (record.DeadLetter, error)
	// Log copies one attempt's captured output to w.
	Log(ctx context.Context, a record.TaskAttempt, w io.Writer) error
	Close() error
}

func addServerFlag(c *cobra.Command, what string) {
	c.Flags().String("server", "", what+" (or $GANTRY_SERVER)")
	c.Flags().String("token", "", "API token for the server (or $GANTRY_TOKEN; default: the admin token gantry serve keeps in <project>/"+app.AdminTokenFile+")")
}

// apiToken is --token, else $GANTRY_TOKEN, else the admin token the
// server wrote into the project folder, when this is one.
func apiToken(c *cobra.Command) string {
	if f := c.Flags().Lookup("token"); f != nil && f.Value.String() != "" {
		return f.Value.String()
	}
	if v := os.Getenv("GANTRY_TOKEN"); v != "" {
		return v
	}
	dir := "."
	if f := c.Flags().Lookup("project"); f != nil && f.Value.String() != "" {
		dir = f.Value.String()
	}
	return app.ReadAdminToken(dir)
}

// openReader reads through a server when one is named or runs for the
// project, else from the project's store.
func openReader(c *cobra.Command, sf storeFlags) (reader, error) {
	if url := serverURL(c, ""); url != "" {
		cl := newClient(c, url)
		return &remoteReader{RunReader: apiclient.RunReader{C: cl}, c: cl}, nil
	}
	st, err := openProjectStore(c.Context(), sf)
	if err != nil {
		return nil, err
	}
	return &storeReader{st}, nil
}

func newClient(c *cobra.Command, url string) *apiclient.Client {
	cl := apiclient.New(url, &http.Client{Timeout: 60 * time.Second})
	cl.Token = apiToken(c)
	return cl
}

// remoteErr turns a client error into what the user reads: the server's
// own message, or that the server cannot be reached.
func remoteErr(url string, err error) error {
	var ae *apiclient.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ae):
		code := statusExitCode(ae.Status)
		if ae.Status == http.StatusUnauthorized {
			return &exitError{code: code, err: fmt.Errorf("%s: pass --token or set $GANTRY_TOKEN (gantry serve keeps an admin token in <project>/%s)", ae.Message, app.AdminTokenFile)}
		}
		return &exitError{code: code, err: errors.New(ae.Message)}
	case unreachable(err):
		return &exitError{code: ExitUnavailable, err: fmt.Errorf("cannot reach a gantry server at %s: is `gantry serve` running? (set --server or $GANTRY_SERVER) (%v)", url, err)}
	default:
		return failed(err)
	}
}

// storeReader reads the local store.
type storeReader struct{ st store.Store }

func (r *storeReader) ListRuns(ctx context.Context, f store.RunFilter) ([]record.Run, error) {
	return r.st.ListRuns(ctx, f)
}

func (r *storeReader) GetRun(ctx context.Context, id int64) (record.Run, []record.RunTask, error) {
	run, err := r.st.GetRun(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return run, nil, fmt.Errorf("run %d %w", id, store.ErrNotFound)
	}
	if err != nil {
		return run, nil, err
	}
	tasks, err := r.st.ListRunTasks(ctx, id)
	return run, tasks, err
}

func (r *storeReader) ListAttempts(ctx context.Context, runID int64, task string) ([]record.TaskAttempt, error) {
	return r.st.ListAttempts(ctx, runID, task)
}

func (r *storeReader) ListDeadLetters(ctx context.Context, f store.DeadLetterFilter) ([]record.DeadLetter, error) {
	return r.st.ListDeadLetters(ctx, f)
}

func (r *storeReader) GetDeadLetter(ctx context.Context, id int64) (record.DeadLetter, error) {
	d, err := r.st.GetDeadLetter(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return d, fmt.Errorf("dead letter %d %w", id, store.ErrNotFound)
	}
	return d, err
}

// Log copies a's log, from the file when this machine's executor wrote
// it, else from what the worker that ran it shipped to the store.
func (r *storeReader) Log(ctx context.Context, a record.TaskAttempt, w io.Writer) error {
	l, err := logs.Fallback{First: logs.Files{}, Then: logs.Chunks{Store: r.st}}.Open(ctx, a)
	if errors.Is(err, logs.ErrNoOutput) {
		fmt.Fprintln(w, "(no output)")
		return nil
	}
	if err != nil {
		return err
	}
	defer l.Close()
	_, err = io.Copy(w, logs.From(l, 0))
	return err
}

func (r *storeReader) Close() error { return r.st.Close() }

// remoteReader reads through a server's API, which returns the same
// records the local store does.
type remoteReader struct {
	apiclient.RunReader
	c *apiclient.Client
}

func (r *remoteReader) Log(ctx context.Context, a record.TaskAttempt, w io.Writer) error {
	body, err := r.c.Logs(ctx, a.RunID, api.LogQuery{Task: a.Task, Attempt: a.Attempt})
	if err != nil {
		return err
	}
	defer body.Close()
	n, err := io.Copy(w, body)
	if err == nil && n == 0 {
		fmt.Fprintln(w, "(no output)")
	}
	return err
}

func (r *remoteReader) Close() error { return nil }
