package server

import (
	"context"
	"time"

	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
)

// Lifecycle adapts the deploy lifecycle to the server: the revisions to
// run, their files, and what a finished run means for them.
type Lifecycle struct{ Svc *deploy.Service }

var _ Deployments = Lifecycle{}

// ActiveRevisions implements Deployments.
func (l Lifecycle) ActiveRevisions(ctx context.Context, env string) (map[string]string, error) {
	return l.Svc.ActiveRevisions(ctx, env)
}

// Materialize implements Deployments.
func (l Lifecycle) Materialize(ctx context.Context, hash, dir string) error {
	return l.Svc.Materialize(ctx, hash, dir)
}

// Verify implements Deployments.
func (l Lifecycle) Verify(ctx context.Context, hash, dir string) error {
	return l.Svc.Verify(ctx, hash, dir)
}

// RunFinished implements Deployments.
func (l Lifecycle) RunFinished(ctx context.Context, run record.Run) (string, error) {
	rb, err := l.Svc.RunFinished(ctx, run)
	if rb == nil {
		return "", err
	}
	return rb.String(), err // a rollback that happened, even beside an error
}

// ActiveSince implements Deployments.
func (l Lifecycle) ActiveSince(ctx context.Context, pipeline, env string) (time.Time, error) {
	a, err := l.Svc.Active(ctx, pipeline, env)
	if err != nil {
		return time.Time{}, err
	}
	return a.Deployment.ActivatedAt, nil
}

// StagingStarter is the server as the deploy lifecycle's Starter: it
// queues a staging run, which its dispatcher runs in a throwaway
// workspace.
func (s *Server) StagingStarter() deploy.Starter { return stagingStarter{s} }

type stagingStarter struct{ s *Server }

func (st stagingStarter) StartStaging(ctx context.Context, env string, rev record.Revision, _ *deploy.Bundle) (record.Run, error) {
	return st.s.StartStaging(ctx, rev.Pipeline, env, rev.Hash)
}

// DeployAPI is the deploy lifecycle as the API serves it: after each
// change, the server loads what is active now, so that a deployment or a
// rollback takes effect at once.
type DeployAPI struct {
	*deploy.Service
	S *Server
}

// ReassessPending judges pending deployments again (see
// deploy.Service.ReassessPending) and, when it activated any, loads what
// is now active.
func (d DeployAPI) ReassessPending(ctx context.Context) (int, error) {
	n, err := d.Service.ReassessPending(ctx)
	if n > 0 {
		d.S.refresh()
	}
	return n, err
}

// DeployAll implements api.DeployService.
func (d DeployAPI) DeployAll(ctx context.Context, actor string, bs []*deploy.Bundle, env, message string) ([]*deploy.Result, error) {
	defer d.S.refresh()
	return d.Service.DeployAll(ctx, actor, bs, env, message)
}

// Promote implements api.DeployService.
func (d DeployAPI) Promote(ctx context.Context, actor, pipeline, from, to, message string) (*deploy.Result, error) {
	defer d.S.refresh()
	return d.Service.Promote(ctx, actor, pipeline, from, to, message)
}

// Approve implements api.DeployService.
func (d DeployAPI) Approve(ctx context.Context, actor string, id int64, comment string) (*deploy.Result, error) {
	defer d.S.refresh()
	return d.Service.Approve(ctx, actor, id, comment)
}

// RollbackWith implements api.DeployService.
func (d DeployAPI) RollbackWith(ctx context.Context, actor string, o deploy.RollbackOptions) (record.Deployment, error) {
	defer d.S.refresh()
	return d.Service.RollbackWith(ctx, actor, o)
}

// refresh loads what is deployed to the server's environment now.
func (s *Server) refresh() {
	if s.cfg.Env == "" || s.cfg.Deployments == nil {
		return
	}
	res := s.load()
	for _, e := range res.Errors {
		s.log.Error("load deployed revisions", "error", e)
	}
	s.wake(s.wakeSchedule)
	s.wake(s.wakeDispatch)
}
