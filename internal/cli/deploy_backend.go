package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/api/apiclient"
	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/engine"
	"github.com/gantryhq/gantry/internal/engine/pool"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/schedule"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/spf13/cobra"
)

// deployFlags are the flags every deploy command shares.
type deployFlags struct {
	storeFlags
	as string
	// alongsideRun: the command may act while a foreground gantry run
	// holds the store (it decides that run's approval tasks).
	alongsideRun bool
}

func (f *deployFlags) add(c *cobra.Command) {
	f.storeFlags.add(c)
	c.Flags().StringVar(&f.as, "as", "", "act as this user (default $GANTRY_USER, else your login name)")
	addServerFlag(c, "the gantry server to act through")
}

// actor is who the command acts as, locally.
func (f *deployFlags) actor() (string, error) { return claimedUser(f.as) }

// claimedUser is who a local command says it acts for: as, else
// $GANTRY_USER, else the login name. Nothing proves it.
func claimedUser(as string) (string, error) {
	switch {
	case as != "":
		return as, nil
	case os.Getenv("GANTRY_USER") != "":
		return os.Getenv("GANTRY_USER"), nil
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username, nil
	}
	return "", usageErr("cannot tell who you are: pass --as NAME or set $GANTRY_USER")
}

// withDeploy runs fn against the deploy service the flags name — the
// local store's deploy.Service, or a server's through its API, both
// returning the same records — and turns what goes wrong into the user's
// error.
func withDeploy(c *cobra.Command, f *deployFlags, fn func(b api.DeployService, actor string) error) error {
	if url := serverURL(c, ""); url != "" {
		// The server knows who acts from the token.
		cl := newClient(c, url)
		err := fn(apiclient.DeployService{C: cl}, "")
		var ee *exitError
		if err != nil && !errors.As(err, &ee) {
			err = remoteErr(url, err)
		}
		return hintPipeline(c, cl, err)
	}
	actor, err := f.actor()
	if err != nil {
		return err
	}
	hold := app.HoldExclusive
	if f.alongsideRun {
		hold = app.HoldShared
	}
	b, closeFn, err := openLocalDeploy(c.Context(), c.Root(), f.storeFlags, hold, c.OutOrStdout())
	if err != nil {
		return err
	}
	defer closeFn()
	return hintPipeline(c, nil, deployErr(fn(b, actor)))
}

// openLocalDeploy opens the project's store for the deploy commands. An
// embedded store a server holds is refused: its server is the one to ask.
func openLocalDeploy(ctx context.Context, root *cobra.Command, f storeFlags, hold app.Hold, out io.Writer) (*deploy.Service, func(), error) {
	if err := exists(f.project); err != nil {
		return nil, nil, err
	}
	l, err := app.OpenLocal(ctx, app.LocalOptions{ProjectDir: f.project, Store: f.store, Hold: hold})
	var pe *app.ProjectFileError
	if errors.As(err, &pe) {
		return nil, nil, failed(fmt.Errorf("project file: %w", pe.Err))
	}
	if errors.Is(err, app.ErrStoreInUseByRun) {
		return nil, nil, refused(err)
	}
	if errors.Is(err, app.ErrStoreInUse) {
		return nil, nil, refused(fmt.Errorf("a gantry server is using this store; pass --server (%v)", err))
	}
	if err != nil {
		return nil, nil, failed(err)
	}
	st := l.Store
	starter := &localStarter{st: st, projectDir: f.project, logDir: l.LogDir, out: out}
	// Locally, --as is a name anyone can type: approvals to protected
	// environments go through a server, which knows people by token.
	svc := deploy.New(deploy.Options{Store: st, Starter: starter, Check: gate(root, st), Unauthenticated: true})
	return svc, func() { l.Close() }, nil
}

// deployErr turns the deploy package's errors into exit codes: bad input
// is a usage error, the rest failures.
func deployErr(err error) error {
	var ee *exitError
	var ge *deploy.GateError
	switch {
	case err == nil, errors.As(err, &ee), errors.As(err, &ge):
		return err
	case errors.Is(err, deploy.ErrInvalid):
		return usageErr("%v", err)
	}
	return failed(err)
}

// localStarter runs a staging run in the foreground, showing its progress
// as gantry run does, in a throwaway workspace removed afterwards.
type localStarter struct {
	st         store.Store
	projectDir string // where secrets are found
	logDir     string
	out        io.Writer
}

func (s *localStarter) StartStaging(ctx context.Context, env string, rev record.Revision, b *deploy.Bundle) (record.Run, error) {
	dir, err := os.MkdirTemp("", "gantry-staging-")
	if err != nil {
		return record.Run{}, err
	}
	defer os.RemoveAll(dir)
	if err := deploy.Materialize(b, dir); err != nil {
		return record.Run{}, err
	}
	proj, p, err := b.Load(dir)
	if err != nil {
		return record.Run{}, err
	}
	exe, err := app.Executors(nil, s.st)
	if err != nil {
		return record.Run{}, err
	}
	defer exe.Close()
	pr := newProgress(s.out, true)
	pr.header = fmt.Sprintf("staging run %%d: %s %s in %s", p.Name, deploy.Short(rev.Hash), env)
	eng := engine.New(engine.Config{Store: s.st, Executors: exe, LogDir: s.logDir,
		Secrets: app.Secrets(s.projectDir, proj), Observe: pr.event, LogLimit: proj.LogLimit(),
		Pools: pool.New(proj.PoolSlots())})
	iv, err := schedule.ManualInterval(p.Schedule, time.Now())
	if err != nil {
		return record.Run{}, err
	}
	run, err := eng.Run(context.WithoutCancel(ctx), engine.Request{
		Pipeline: p, Params: spec.ParamsFor(proj, p, env), Start: iv.Start, End: iv.End,
		Trigger: record.TriggerStaging, Env: env, Revision: rev.Hash, Dir: dir, Cancel: ctx.Done(),
		Environments: engine.EnvironmentsFor(proj, p, app.EnvSecrets(dir)),
	})
	if err != nil {
		return record.Run{}, err
	}
	fmt.Fprintf(s.out, "staging run %d %s\n", run.ID, run.State)
	return run, nil
}
