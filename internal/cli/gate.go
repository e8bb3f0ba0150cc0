package cli

import (
	"context"

	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/spf13/cobra"
)

// gate is the readiness gate a deploy runs: every rule, the runbook
// commands checked against this binary's command tree, and the alert
// routes' test-fires read from st.
func gate(root *cobra.Command, st store.Store) func(ctx context.Context, dir, env string) (*check.Report, error) {
	return app.Gate(st, commandLines(root))
}

// checkStore opens the project's store for the gate's test-fire history
// when there is one; nil, and nothing created, when there is none.
func checkStore(ctx context.Context, dir string) store.Store {
	p, err := app.LoadProjectFile(dir)
	if err != nil {
		return nil
	}
	url := app.StoreURL("", dir, p)
	if !app.ExistingStore(url) {
		return nil
	}
	st, err := app.OpenStore(ctx, url)
	if err != nil {
		return nil
	}
	return st
}
