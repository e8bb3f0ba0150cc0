package app

import (
	"context"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/store"
)

// Gate is the readiness gate a deploy runs over a revision's bundle (the
// pipeline and its upstreams, hence Partial): every rule, the runbook
// commands read with commands (this binary's command tree), and the
// alert routes' test-fires read from st.
func Gate(st store.Store, commands func(args []string) (check.CommandLine, error)) func(ctx context.Context, dir, env string) (*check.Report, error) {
	return func(ctx context.Context, dir, env string) (*check.Report, error) {
		c, err := check.New(check.Options{Env: env, Commands: commands, Partial: true, TestFires: TestFires(ctx, st)})
		if err != nil {
			return nil, err
		}
		return c.Check(ctx, dir)
	}
}
