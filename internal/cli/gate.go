package cli

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/gantryhq/gantry/internal/api/apiclient"
	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/spf13/cobra"
)

// gate is the readiness gate a deploy runs: every rule, the runbook
// commands checked against this binary's command tree, and the alert
// routes' test-fires read from st.
func gate(root *cobra.Command, st store.Store) func(ctx context.Context, dir, env string) (*check.Report, error) {
	return app.Gate(st, commandLines(root))
}

// testFireHistory is where gantry check reads the alert routes'
// test-fires: a store it was given, a server it was given or found, or
// nowhere — never a store it happened to find, so that the same files
// get the same verdict whatever ran in the folder before.
type testFireHistory struct {
	source string                               // what the report says of it
	last   func(route string) (time.Time, bool) // nil: not read
	// workers are the active workers' labels, from the same place (nil:
	// not read).
	workers func() ([]map[string]string, bool)
	close   func()

	mu  sync.Mutex
	err error // a server's answer that failed during the check
}

// openTestFires opens the test-fire history for the project in dir:
// --store, else the server --server, $GANTRY_SERVER or the project's
// address file names, else none.
func openTestFires(c *cobra.Command, dir, storeURL string) (*testFireHistory, error) {
	h := &testFireHistory{close: func() {}}
	ctx := c.Context()
	if storeURL != "" {
		if !app.ExistingStore(storeURL) {
			return nil, usageErr("--store %s: no such store", storeURL)
		}
		st, err := app.OpenStore(ctx, storeURL)
		if err != nil {
			return nil, failed(fmt.Errorf("--store: %w", err))
		}
		h.source = "test-fire history: read from the store " + app.Redact(storeURL) + " (--store)"
		h.last, h.close = app.TestFires(ctx, st), func() { st.Close() }
		h.workers = app.WorkerLabels(ctx, st)
		return h, nil
	}
	t := targetOf(c, dir)
	if t.url == "" {
		h.source = "test-fire history: not read, so alert-test-fire was not checked (" + t.why + "; pass --server URL or --store URL to read it)"
		return h, nil
	}
	cl := apiclient.New(t.url, &http.Client{Timeout: 30 * time.Second})
	cl.Token = tokenFor(c, dir)
	h.source = fmt.Sprintf("test-fire history: read through the server at %s (%s)", t.url, t.why)
	h.last = func(route string) (time.Time, bool) {
		at, ok, err := cl.LastTestFire(ctx, route)
		if err != nil {
			h.fail(remoteErr(t.url, fmt.Errorf("read the test-fires of route %s: %w", route, err)))
		}
		return at, ok
	}
	h.workers = func() ([]map[string]string, bool) {
		list, err := cl.ListWorkers(ctx)
		if err != nil {
			h.fail(remoteErr(t.url, fmt.Errorf("read the registered workers: %w", err)))
			return nil, false
		}
		if len(list.Workers) == 0 {
			return nil, false
		}
		ws := make([]record.Worker, 0, len(list.Workers))
		now := time.Now()
		for _, v := range list.Workers {
			// By the server's clock, which the heartbeat age is measured on.
			ws = append(ws, record.Worker{Labels: v.Labels, Slots: v.Slots, State: v.State,
				HeartbeatAt: now.Add(-time.Duration(v.HeartbeatAge * float64(time.Second)))})
		}
		return app.ActiveLabels(ws, now), true
	}
	return h, nil
}

// fail keeps the first error the server answered.
func (h *testFireHistory) fail(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		h.err = err
	}
}

// failure is the first error the server answered during the check.
func (h *testFireHistory) failure() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// tokenFor is --token, else $GANTRY_TOKEN, else the admin token the
// server keeps in the project folder dir.
func tokenFor(c *cobra.Command, dir string) string {
	if v := flagValue(c, "token"); v != "" {
		return v
	}
	if v := os.Getenv("GANTRY_TOKEN"); v != "" {
		return v
	}
	return app.ReadAdminToken(dir)
}
