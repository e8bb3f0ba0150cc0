package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/server"
	"github.com/spf13/cobra"
)

// target is where a command goes: a server's API, or (url "") the
// project's local store; why says how it was chosen, for --verbose.
type target struct {
	url string
	why string
}

// probeTimeout bounds the question whether a recorded server answers.
const probeTimeout = 2 * time.Second

// targets caches each command's target: it is worked out once, and
// --verbose says it once.
var targets sync.Map // *cobra.Command → target

// serverURL is where c goes when it goes through a server: --server,
// $GANTRY_SERVER, or the project's running server (server.AddressFile);
// def when none runs.
func serverURL(c *cobra.Command, def string) string {
	if t := targetOf(c, projectOf(c)); t.url != "" {
		return t.url
	}
	return def
}

// projectOf is c's --project, or ".".
func projectOf(c *cobra.Command) string {
	if f := c.Flags().Lookup("project"); f != nil && f.Value.String() != "" {
		return f.Value.String()
	}
	return "."
}

// targetOf works out, once, where c goes for the project in dir, and says
// it with --verbose.
func targetOf(c *cobra.Command, dir string) target {
	if t, ok := targets.Load(c); ok {
		return t.(target)
	}
	t := findTarget(c.Context(), dir, flagValue(c, "server"), flagValue(c, "store"))
	if v, _ := c.Flags().GetBool("verbose"); v {
		if t.url != "" {
			fmt.Fprintf(c.ErrOrStderr(), "gantry: through the server at %s: %s\n", t.url, t.why)
		} else {
			fmt.Fprintf(c.ErrOrStderr(), "gantry: on the local store %s: %s\n", localStore(dir, flagValue(c, "store")), t.why)
		}
	}
	targets.Store(c, t)
	return t
}

func flagValue(c *cobra.Command, name string) string {
	if f := c.Flags().Lookup(name); f != nil {
		return f.Value.String()
	}
	return ""
}

// findTarget picks where a command goes: --server, else $GANTRY_SERVER,
// else the server recorded in dir's server.AddressFile when it runs and
// holds the store the command names; else the local store.
func findTarget(ctx context.Context, dir, serverFlag, storeFlag string) target {
	switch {
	case serverFlag != "":
		return target{serverFlag, "given by --server"}
	case os.Getenv("GANTRY_SERVER") != "":
		return target{os.Getenv("GANTRY_SERVER"), "given by $GANTRY_SERVER"}
	}
	return foundServer(ctx, dir, storeFlag)
}

// foundServer is the server recorded in dir's server.AddressFile when it
// runs and holds the store storeFlag (or $GANTRY_STORE) names, if any.
func foundServer(ctx context.Context, dir, storeFlag string) target {
	file := filepath.Join(dir, server.AddressFile)
	a, err := server.ReadAddress(dir)
	switch {
	case errors.Is(err, server.ErrNoAddress):
		return target{why: "no server runs for this project: no " + file}
	case err != nil:
		return target{why: fmt.Sprintf("ignored %s: %v", file, err)}
	case a.Dead():
		return target{why: fmt.Sprintf("ignored the stale %s: its server, pid %d, is not running", file, a.PID)}
	}
	if err := probe(ctx, a.URL); err != nil {
		return target{why: fmt.Sprintf("ignored %s: nothing answers at %s (%v)", file, a.URL, err)}
	}
	if storeFlag == "" {
		storeFlag = os.Getenv("GANTRY_STORE")
	}
	if storeFlag != "" && a.Store != "" {
		if loc := app.StoreLocation(dir, storeFlag); loc != a.Store {
			return target{why: fmt.Sprintf("the project's server (pid %d, %s) holds another store (%s)", a.PID, a.URL, a.Store)}
		}
	}
	return target{a.URL, fmt.Sprintf("the project's server, pid %d, found in %s", a.PID, file)}
}

// probe asks url's /healthz whether a server answers there.
func probe(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(url, "/")+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/healthz answered %s", resp.Status)
	}
	return nil
}

// localStore names the store a local command opens, for --verbose.
func localStore(dir, storeFlag string) string {
	p, err := app.LoadProjectFile(dir)
	if err != nil {
		return filepath.Join(dir, app.StateDir, "gantry.db")
	}
	return app.Redact(app.StoreURL(storeFlag, dir, p))
}

// checkServerURL refuses a --server or $GANTRY_SERVER that is not an
// http:// or https:// URL, before anything is sent.
func checkServerURL(c *cobra.Command) error {
	what, url := "--server", flagValue(c, "server")
	if url == "" && c.Flags().Lookup("server") != nil {
		what, url = "$GANTRY_SERVER", os.Getenv("GANTRY_SERVER")
	}
	if url == "" || strings.HasPrefix(url, "http://") || strings.HasPrefix(url, "https://") {
		return nil
	}
	return usageErr("%s %q: want a URL with its scheme, such as http://%s", what, url, strings.TrimPrefix(url, "//"))
}

// noServer is the error of a command that needs a server when none runs.
func noServer(c *cobra.Command) error {
	return &exitError{code: ExitUnavailable, err: fmt.Errorf("%s goes through a gantry server, and none runs for project %s (%s): start one with gantry serve there, or pass --server URL (or set $GANTRY_SERVER)",
		c.CommandPath(), projectOf(c), targetOf(c, projectOf(c)).why)}
}
