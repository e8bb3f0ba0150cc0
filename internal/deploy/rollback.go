package deploy

import (
	"context"
	"fmt"
	"strings"

	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
)

// Rollback makes an earlier revision active in env at once; see
// RollbackWith. It never forces.
func (s *Service) Rollback(ctx context.Context, actor, pipeline, env, to, reason string) (record.Deployment, error) {
	return s.RollbackWith(ctx, actor, RollbackOptions{Pipeline: pipeline, Env: env, To: to, Reason: reason})
}

// RollbackOptions say what a rollback re-activates.
type RollbackOptions struct {
	Pipeline, Env string
	// To is a revision hash or a unique prefix of one; "" means the
	// newest revision active before the current one that did not fail its
	// first run in Env.
	To     string
	Reason string // required
	// Force re-activates a To that failed its first run in Env.
	Force bool
}

// RollbackWith makes an earlier revision active in o.Env at once,
// replacing the active deployment, which becomes rolled_back with
// o.Reason. A revision that failed its first run there is never chosen
// by itself, and naming it is ErrConflict unless o.Force is set.
func (s *Service) RollbackWith(ctx context.Context, actor string, o RollbackOptions) (record.Deployment, error) {
	if actor == "" || strings.TrimSpace(o.Reason) == "" {
		return record.Deployment{}, fmt.Errorf("%w: a rollback needs an actor and a reason", ErrInvalid)
	}
	cur, err := s.st.ActiveDeployment(ctx, o.Pipeline, o.Env)
	if err != nil {
		return record.Deployment{}, fmt.Errorf("nothing of %s is active in %s: %w", o.Pipeline, o.Env, err)
	}
	target, err := s.pickTarget(ctx, cur, o)
	if err != nil {
		return record.Deployment{}, err
	}
	return s.rollBack(ctx, cur, target, actor, record.AuditRollback, o.Reason)
}

// pickTarget is the revision a rollback from cur re-activates.
func (s *Service) pickTarget(ctx context.Context, cur record.Deployment, o RollbackOptions) (string, error) {
	if o.To == "" {
		target, skipped, err := s.rollbackTarget(ctx, cur)
		if err != nil || target != "" {
			return target, err
		}
		msg := fmt.Sprintf("no revision of %s was active in %s before %s", o.Pipeline, o.Env, Short(cur.Revision))
		if len(skipped) > 0 {
			return "", fmt.Errorf("%w: %s that did not fail its first run there (%s did); name one with --to REV, and add --force to re-activate a failed one",
				ErrConflict, msg, strings.Join(skipped, ", "))
		}
		return "", fmt.Errorf("%w: %s; name one with --to", ErrConflict, msg)
	}
	rev, err := s.Revision(ctx, o.Pipeline, o.To)
	if err != nil {
		return "", err
	}
	if rev.Hash == cur.Revision {
		return "", fmt.Errorf("%w: revision %s is already active in %s", ErrConflict, Short(rev.Hash), o.Env)
	}
	if o.Force {
		return rev.Hash, nil
	}
	run, failed, err := s.firstRunFailure(ctx, o.Pipeline, o.Env, rev.Hash)
	if err != nil || !failed {
		return rev.Hash, err
	}
	why := run.Error
	if why == "" {
		why = "failed"
	}
	return "", fmt.Errorf("%w: revision %s failed its first run in %s (run %d: %s); to re-activate it anyway, pass --to %s --force",
		ErrConflict, Short(rev.Hash), o.Env, run.ID, why, Short(rev.Hash))
}

// rollBack replaces cur with a new active deployment of revision target.
func (s *Service) rollBack(ctx context.Context, cur record.Deployment, target, actor string, action record.AuditAction, reason string) (record.Deployment, error) {
	d := &record.Deployment{Pipeline: cur.Pipeline, Env: cur.Env, Revision: target, CreatedBy: actor,
		CreatedAt: s.now(), Message: "rollback from " + Short(cur.Revision), Reason: reason}
	ev := s.event(actor, action, *d)
	ev.Reason, ev.Detail = reason, fmt.Sprintf("%s → %s, replacing deployment %d", Short(cur.Revision), Short(target), cur.ID)
	return s.st.ActivateDeployment(ctx, store.Activation{New: d, Replaced: record.DeploymentRolledBack,
		Reason: reason, Expect: cur.ID, At: s.now(), Audit: ev})
}
