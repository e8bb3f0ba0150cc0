package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/check"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/spf13/cobra"
)

func newDeployCmd() *cobra.Command {
	var (
		f        deployFlags
		env, msg string
		all      bool
		wait     bool
	)
	c := &cobra.Command{
		Use:   "deploy PIPELINE|--all --env ENV",
		Short: "Gate a pipeline, store it as a revision and deploy it to an environment",
		Long: `Deploy runs the readiness gate over PIPELINE (or every pipeline, with --all)
for ENV and refuses, printing why, when it finds an error. Otherwise it
stores an immutable revision of the project's files: every file git tracks
under the project folder (outside git, every file), without .gantry/ and
what .gantryignore excludes, narrowed by files: in gantry.yaml; other
pipelines' files are not part of it. The same content is the same
revision. It creates a deployment gated by the change's risk class: L1
params, L2 task settings or any other file, L3 DAG shape or a new
pipeline, L4 several pipelines or gantry.yaml.

Deploying to a staging environment runs the whole pipeline there as its
staging integration run: in the foreground without a server; through one,
the server runs it (--wait follows it to its end). A deployment becomes
active when its gates are met; see it wait with gantry deployments.`,
		Args: func(c *cobra.Command, args []string) error {
			if (all && len(args) == 0) || (!all && len(args) == 1) {
				return nil
			}
			return usageErr("%s needs one PIPELINE or --all", c.CommandPath())
		},
		RunE: func(c *cobra.Command, args []string) error {
			if env == "" {
				return usageErr("%s needs --env ENV", c.CommandPath())
			}
			return withDeploy(c, &f, func(b api.DeployService, actor string) error {
				bundles, err := collectBundles(f.project, args, all)
				if err != nil {
					return err
				}
				rs, err := b.DeployAll(c.Context(), actor, bundles, env, msg)
				if ge := (*deploy.GateError)(nil); errors.As(err, &ge) {
					return gateRefused(c.ErrOrStderr(), ge)
				}
				if err != nil {
					return err
				}
				for _, r := range rs {
					printResult(c.OutOrStdout(), r)
				}
				return stagingOutcome(c, rs, wait)
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&env, "env", "", "the environment to deploy to")
	c.Flags().StringVarP(&msg, "message", "m", "", "why, for the revision and the audit log")
	c.Flags().BoolVar(&all, "all", false, "deploy every pipeline of the project together")
	c.Flags().BoolVar(&wait, "wait", false, "through a server: wait for the staging runs to end, and fail if one fails")
	return c
}

// stagingOutcome fails the command when a staging run the deploy started
// failed: one run in the foreground (locally), or one a server runs that
// --wait followed to its end. Without --wait, a server's staging runs are
// left running and the deploy succeeds.
func stagingOutcome(c *cobra.Command, rs []*deploy.Result, wait bool) error {
	url := serverURL(c, "")
	failedRuns := 0
	for _, r := range rs {
		if r.Staging == nil {
			continue
		}
		state := r.Staging.State
		if !state.Final() {
			if url == "" || !wait {
				continue
			}
			var err error
			if state, err = waitRun(c, url, r.Staging.ID); err != nil {
				return err
			}
		}
		if state != record.RunSucceeded {
			failedRuns++
		}
	}
	if failedRuns > 0 {
		return failed(fmt.Errorf("%d staging run(s) did not succeed: promotion will be refused", failedRuns))
	}
	return nil
}

// waitRun follows a server's run until it ends, and says how.
func waitRun(c *cobra.Command, url string, id int64) (record.RunState, error) {
	cl := newClient(c, url)
	for {
		v, err := cl.GetRun(c.Context(), id)
		if err != nil {
			return "", err
		}
		if v.State.Final() {
			fmt.Fprintf(c.OutOrStdout(), "staging run %d of %s: %s", v.ID, v.Pipeline, v.State)
			if v.Error != "" {
				fmt.Fprintf(c.OutOrStdout(), ": %s", v.Error)
			}
			fmt.Fprintln(c.OutOrStdout())
			return v.State, nil
		}
		select {
		case <-c.Context().Done():
			return "", c.Context().Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func collectBundles(project string, args []string, all bool) ([]*deploy.Bundle, error) {
	var bs []*deploy.Bundle
	var err error
	if all {
		bs, err = deploy.CollectAll(project)
	} else {
		var b *deploy.Bundle
		if b, err = deploy.Collect(project, args[0]); err == nil {
			bs = []*deploy.Bundle{b}
		}
	}
	if err != nil {
		return nil, failed(fmt.Errorf("%w: nothing was deployed", err))
	}
	return bs, nil
}

// gateRefused prints each refused pipeline's report and fails.
func gateRefused(w io.Writer, ge *deploy.GateError) error {
	for _, r := range ge.Refused {
		fmt.Fprintf(w, "%s:\n", r.Pipeline)
		_ = check.WriteText(w, r.Report, false)
	}
	return failed(ge)
}

func printResult(w io.Writer, r *deploy.Result) {
	d := r.Deployment
	rev := deploy.Short(d.Revision)
	if r.NewRevision {
		rev += " (new)"
	}
	if r.Unchanged {
		fmt.Fprintf(w, "%s: revision %s is already %s in %s (deployment %d)\n", d.Pipeline, rev, d.State, d.Env, d.ID)
	} else {
		fmt.Fprintf(w, "%s: revision %s, risk %s → deployment %d to %s: %s\n", d.Pipeline, rev, d.Risk, d.ID, d.Env, d.State)
		if r.Diff != nil {
			for _, ch := range r.Diff.Changes {
				fmt.Fprintf(w, "  %s  %s\n", ch.Class, ch.Text)
			}
		}
	}
	if st := r.Staging; st != nil && !st.State.Final() {
		fmt.Fprintf(w, "  staging run %d %s in %s: follow it with gantry runs show %d\n", st.ID, st.State, st.Env, st.ID)
	}
	for _, wait := range r.Waiting {
		fmt.Fprintf(w, "  waiting for %s\n", wait)
	}
}

func newRevisionsCmd() *cobra.Command {
	var f deployFlags
	var n int
	c := &cobra.Command{
		Use:   "revisions PIPELINE",
		Short: "List a pipeline's revisions, newest first",
		Args:  exactArgs(1, "a PIPELINE"),
		RunE: func(c *cobra.Command, args []string) error {
			return withDeploy(c, &f, func(b api.DeployService, _ string) error {
				revs, err := b.Revisions(c.Context(), args[0], n)
				if err != nil {
					return err
				}
				out := api.RevisionList{Revisions: make([]api.RevisionView, 0, len(revs))}
				for _, r := range revs {
					out.Revisions = append(out.Revisions, api.NewRevisionView(r))
				}
				return render(c, out, func(w io.Writer) error { return printRevisions(w, args[0], revs) })
			})
		},
	}
	f.add(c)
	c.Flags().IntVarP(&n, "limit", "n", 20, "show at most this many")
	addOutput(c)
	return c
}

func printRevisions(w io.Writer, pipeline string, revs []record.Revision) error {
	if len(revs) == 0 {
		fmt.Fprintf(w, "no revisions of %s yet: gantry deploy %s --env ENV makes one\n", pipeline, pipeline)
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "REVISION\tCREATED\tBY\tSTAGING\tCHECK\tMESSAGE")
	for _, r := range revs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", deploy.Short(r.Hash), r.CreatedAt.Local().Format(time.DateTime),
			r.CreatedBy, orDash(string(r.StagingState)), r.CheckSummary, r.Message)
	}
	return tw.Flush()
}

func newDiffCmd() *cobra.Command {
	var f deployFlags
	var env, to string
	c := &cobra.Command{
		Use:   "diff PIPELINE --env ENV",
		Short: "Show what deploying would change in an environment, and its risk class",
		Long: `Diff compares the revision active in ENV with the project's files as they
are now, or with revision --to, and classifies the change (L1..L4): one
line per change with its class, then each changed file's lines as a
unified diff under its class, widest first.`,
		Args: exactArgs(1, "a PIPELINE"),
		RunE: func(c *cobra.Command, args []string) error {
			if env == "" {
				return usageErr("%s needs --env ENV", c.CommandPath())
			}
			return withDeploy(c, &f, func(b api.DeployService, _ string) error {
				var d *deploy.Diff
				var err error
				if to != "" {
					d, err = b.Diff(c.Context(), args[0], env, to)
				} else {
					var bs []*deploy.Bundle
					if bs, err = collectBundles(f.project, args, false); err != nil {
						return err
					}
					d, err = b.DiffBundle(c.Context(), bs[0], env)
				}
				if err != nil {
					return err
				}
				if err := d.WriteText(c.OutOrStdout()); err != nil {
					return err
				}
				return d.WriteFiles(c.OutOrStdout())
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&env, "env", "", "the environment to compare with")
	c.Flags().StringVar(&to, "to", "", "a revision (hash or prefix) instead of the project's files")
	return c
}

func newPromoteCmd() *cobra.Command {
	var f deployFlags
	var from, to, msg string
	c := &cobra.Command{
		Use:   "promote PIPELINE --from ENV --to ENV",
		Short: "Deploy the revision active in one environment to another",
		Long: `Promote creates a deployment to --to of the revision active in --from. It
needs a succeeded staging run of that revision, and becomes active when
the rest of its gates are met (approvals, for a protected environment).`,
		Args: exactArgs(1, "a PIPELINE"),
		RunE: func(c *cobra.Command, args []string) error {
			if from == "" || to == "" {
				return usageErr("%s needs --from ENV and --to ENV", c.CommandPath())
			}
			return withDeploy(c, &f, func(b api.DeployService, actor string) error {
				r, err := b.Promote(c.Context(), actor, args[0], from, to, msg)
				if ge := (*deploy.GateError)(nil); errors.As(err, &ge) {
					return gateRefused(c.ErrOrStderr(), ge)
				}
				if err != nil {
					return err
				}
				printResult(c.OutOrStdout(), r)
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&from, "from", "", "the environment whose active revision to promote")
	c.Flags().StringVar(&to, "to", "", "the environment to deploy it to")
	c.Flags().StringVarP(&msg, "message", "m", "", "why, for the audit log")
	return c
}

func newRollbackCmd() *cobra.Command {
	var f deployFlags
	var env, to, reason string
	var force bool
	c := &cobra.Command{
		Use:   "rollback PIPELINE --env ENV --reason TEXT",
		Short: "Make an earlier revision active again, at once",
		Long: `Rollback activates revision --to (by default the newest one active before
the current one that did not fail its first run in ENV) in ENV at once; the
current deployment is recorded rolled back with --reason. Re-activating a
revision that failed its first run in ENV needs --to REV --force.`,
		Args: exactArgs(1, "a PIPELINE"),
		RunE: func(c *cobra.Command, args []string) error {
			if env == "" || strings.TrimSpace(reason) == "" {
				return usageErr("%s needs --env ENV and --reason TEXT", c.CommandPath())
			}
			return withDeploy(c, &f, func(b api.DeployService, actor string) error {
				if force && to == "" {
					return usageErr("--force needs --to REV: the revision to re-activate although it failed in %s", env)
				}
				d, err := b.RollbackWith(c.Context(), actor, deploy.RollbackOptions{Pipeline: args[0], Env: env, To: to, Reason: reason, Force: force})
				if err != nil {
					return err
				}
				fmt.Fprintf(c.OutOrStdout(), "%s: revision %s is active in %s again (deployment %d, replacing %s)\n",
					d.Pipeline, deploy.Short(d.Revision), d.Env, d.ID, deploy.Short(d.Previous))
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&env, "env", "", "the environment to roll back")
	c.Flags().StringVar(&to, "to", "", "the revision (hash or prefix) to activate")
	c.Flags().StringVar(&reason, "reason", "", "why, for the audit log")
	c.Flags().BoolVar(&force, "force", false, "with --to: re-activate it even though it failed its first run in ENV")
	return c
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// stateList parses --state values.
func stateList(ss []string) []record.DeploymentState {
	var out []record.DeploymentState
	for _, s := range ss {
		out = append(out, record.DeploymentState(s))
	}
	return out
}

// parseID reads a positive number naming a what (deployment, token).
func parseID(what, s string) (int64, error) {
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil || id < 1 || fmt.Sprint(id) != s {
		return 0, usageErr("%s %q: want a %s number", strings.ToUpper(what), s, what)
	}
	return id, nil
}
