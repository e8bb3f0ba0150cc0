package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/api/apiclient"
	"github.com/gantryhq/gantry/internal/deploy"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/spf13/cobra"
)

func newApproveCmd() *cobra.Command {
	var f deployFlags
	var comment string
	c := &cobra.Command{
		Use:   "approve DEPLOYMENT",
		Short: "Approve a pending deployment (not your own)",
		Args:  exactArgs(1, "a DEPLOYMENT number"),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := parseID("deployment", args[0])
			if err != nil {
				return err
			}
			return withDeploy(c, &f, func(b api.DeployService, actor string) error {
				r, err := b.Approve(c.Context(), actor, id, comment)
				if err != nil {
					return err
				}
				d := r.Deployment
				fmt.Fprintf(c.OutOrStdout(), "approved deployment %d of %s to %s: %s\n", d.ID, d.Pipeline, d.Env, d.State)
				for _, w := range r.Waiting {
					fmt.Fprintf(c.OutOrStdout(), "  waiting for %s\n", w)
				}
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&comment, "comment", "", "a comment, for the audit log")
	c.AddCommand(newDecideTaskCmd(true))
	return c
}

// newDecideTaskCmd is `approve run RUN TASK` (approve) or `reject run RUN
// TASK --reason TEXT`.
func newDecideTaskCmd(approve bool) *cobra.Command {
	f := deployFlags{alongsideRun: true}
	var text string
	verb, short := "approve", "Approve an approval task waiting in a run (not a run you started)"
	use := "run RUN TASK"
	if !approve {
		verb, short = "reject", "Reject an approval task waiting in a run: the task fails"
		use += " --reason TEXT"
	}
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  exactArgs(2, "a RUN number and the TASK id of its approval task"),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := parseID("run", args[0])
			if err != nil {
				return err
			}
			if !approve && strings.TrimSpace(text) == "" {
				return usageErr("%s needs --reason TEXT", c.CommandPath())
			}
			return withDeploy(c, &f, func(b api.DeployService, actor string) error {
				q, err := b.DecideTask(c.Context(), actor, id, args[1], approve, text)
				if err != nil {
					return err
				}
				out := c.OutOrStdout()
				switch q.Approval.State {
				case record.ApprovalApproved:
					fmt.Fprintf(out, "%s of run %d approved by %s: the run goes on\n", q.Approval.Task, id, strings.Join(q.Approval.Approved, ", "))
				case record.ApprovalRejected:
					fmt.Fprintf(out, "%s of run %d rejected: it fails, and what needs it does not run\n", q.Approval.Task, id)
				default:
					fmt.Fprintf(out, "%sd %s of run %d: %d of %d approval(s)\n", verb, q.Approval.Task, id, len(q.Approval.Approved), q.Approval.Required)
				}
				return nil
			})
		},
	}
	f.add(c)
	if approve {
		c.Flags().StringVar(&text, "comment", "", "a comment, for the audit log")
	} else {
		c.Flags().StringVar(&text, "reason", "", "why, for whoever started the run and the audit log")
	}
	return c
}

func newApprovalsCmd() *cobra.Command {
	f := deployFlags{alongsideRun: true}
	c := &cobra.Command{
		Use:   "approvals RUN",
		Short: "Show a run's approval tasks: what each asks to approve, and who decided",
		Args:  exactArgs(1, "a RUN number"),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := parseID("run", args[0])
			if err != nil {
				return err
			}
			return withDeploy(c, &f, func(b api.DeployService, _ string) error {
				qs, err := b.TaskQuestions(c.Context(), id)
				if err != nil {
					return err
				}
				if len(qs) == 0 {
					fmt.Fprintf(c.OutOrStdout(), "run %d has asked for no approval\n", id)
					return nil
				}
				for _, q := range qs {
					writeTaskQuestion(c.OutOrStdout(), q)
				}
				return nil
			})
		},
	}
	f.add(c)
	return c
}

// writeTaskQuestion prints one approval task as its approvers need it.
func writeTaskQuestion(w io.Writer, q deploy.TaskQuestion) {
	a := q.Approval
	state := string(a.State)
	if q.Waiting {
		state = "WAITING"
	}
	fmt.Fprintf(w, "%s (run %d): %s, %d of %d approval(s)", a.Task, a.RunID, state, len(a.Approved), a.Required)
	if len(a.Approvers) > 0 {
		fmt.Fprintf(w, " from %s", strings.Join(a.Approvers, ", "))
	}
	fmt.Fprintln(w)
	if len(a.Guards) > 0 {
		fmt.Fprintf(w, "  guards:    %s (protected)\n", strings.Join(a.Guards, ", "))
	}
	if q.Run.TriggeredBy != "" {
		fmt.Fprintf(w, "  started by %s (who may not decide it)\n", q.Run.TriggeredBy)
	}
	if q.Waiting && !a.Deadline.IsZero() {
		fmt.Fprintf(w, "  deadline:  %s\n", a.Deadline.UTC().Format(time.RFC3339))
	}
	if len(q.Run.Params) > 0 {
		fmt.Fprintf(w, "  params:    %s\n", labelList(q.Run.Params))
	}
	width := 10
	for _, b := range q.Before {
		width = max(width, len(b.Task))
	}
	for _, b := range q.Before {
		line := fmt.Sprintf("  %-*s %s", width, b.Task, b.State)
		for _, o := range b.Outputs {
			line += " " + o.Key + "=" + o.Value
		}
		fmt.Fprintln(w, line)
	}
	for _, d := range q.Decisions {
		what := "approved"
		if !d.Approve {
			what = "rejected"
		}
		line := fmt.Sprintf("  %s by %s at %s", what, d.Actor, d.At.UTC().Format(time.RFC3339))
		if d.Comment != "" {
			line += ": " + d.Comment
		}
		fmt.Fprintln(w, line)
	}
	if q.Waiting {
		fmt.Fprintf(w, "  decide:    gantry approve run %d %s   |   gantry reject run %d %s --reason TEXT\n", a.RunID, a.Task, a.RunID, a.Task)
	}
}

func newRejectCmd() *cobra.Command {
	var f deployFlags
	var reason string
	c := &cobra.Command{
		Use:   "reject DEPLOYMENT --reason TEXT",
		Short: "Reject a pending deployment: it will never become active",
		Args:  exactArgs(1, "a DEPLOYMENT number"),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := parseID("deployment", args[0])
			if err != nil {
				return err
			}
			if strings.TrimSpace(reason) == "" {
				return usageErr("%s needs --reason TEXT", c.CommandPath())
			}
			return withDeploy(c, &f, func(b api.DeployService, actor string) error {
				d, err := b.Reject(c.Context(), actor, id, reason)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.OutOrStdout(), "deployment %d of %s to %s rejected\n", d.ID, d.Pipeline, d.Env)
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&reason, "reason", "", "why, for the deployer and the audit log")
	c.AddCommand(newDecideTaskCmd(false))
	return c
}

func newDeploymentsCmd() *cobra.Command {
	var f deployFlags
	var flt store.DeploymentFilter
	var states []string
	c := &cobra.Command{
		Use:   "deployments [PIPELINE]",
		Short: "List deployments, newest first",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				if flt.Pipeline != "" && flt.Pipeline != args[0] {
					return usageErr("give the pipeline once: as PIPELINE or as --pipeline")
				}
				flt.Pipeline = args[0]
			}
			flt.States = stateList(states)
			return withDeploy(c, &f, func(b api.DeployService, _ string) error {
				ds, err := b.Deployments(c.Context(), flt)
				if err != nil {
					return err
				}
				out := api.DeploymentList{Deployments: make([]api.DeploymentView, 0, len(ds))}
				for _, d := range ds {
					out.Deployments = append(out.Deployments, api.NewDeploymentView(d, nil, nil))
				}
				return render(c, out, func(w io.Writer) error { return printDeployments(w, ds) })
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&flt.Pipeline, "pipeline", "", "only this pipeline's")
	c.Flags().StringVar(&flt.Env, "env", "", "only this environment's")
	c.Flags().StringArrayVar(&states, "state", nil, "only these states: pending, active, superseded, rolled_back, rejected (repeatable)")
	c.Flags().IntVarP(&flt.Limit, "limit", "n", 20, "show at most this many")
	addOutput(c)
	c.AddCommand(newDeploymentShowCmd())
	return c
}

func printDeployments(w io.Writer, ds []record.Deployment) error {
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tPIPELINE\tENV\tREVISION\tSTATE\tRISK\tGATES\tBY\tCREATED\tWHY\tENDED")
	for _, d := range ds {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Pipeline, d.Env,
			deploy.Short(d.Revision), d.State, orDash(d.Risk), strings.Join(d.Gates, ","),
			d.CreatedBy, d.CreatedAt.Local().Format(time.DateTime), orDash(d.Message), ended(d, ds))
	}
	return tw.Flush()
}

// ended says when and why d stopped being pending or active: rolled back
// or rejected with its reason, or superseded by the deployment that
// became active then (when ds holds it).
func ended(d record.Deployment, ds []record.Deployment) string {
	if d.EndedAt.IsZero() {
		return "-"
	}
	at := d.EndedAt.Local().Format(time.DateTime)
	switch d.State {
	case record.DeploymentSuperseded:
		var by int64 // the first one after d activated since d ended
		for _, n := range ds {
			if n.Pipeline == d.Pipeline && n.Env == d.Env && n.ID > d.ID && (by == 0 || n.ID < by) &&
				!n.ActivatedAt.IsZero() && !n.ActivatedAt.Before(d.EndedAt) {
				by = n.ID
			}
		}
		if by != 0 {
			return fmt.Sprintf("%s superseded by deployment %d", at, by)
		}
		return at + " superseded"
	case record.DeploymentRolledBack:
		return fmt.Sprintf("%s rolled back: %s", at, orDash(d.Reason))
	case record.DeploymentRejected:
		return fmt.Sprintf("%s rejected: %s", at, orDash(d.Reason))
	}
	return at + " " + strings.ReplaceAll(string(d.State), "_", " ")
}

// newDeploymentShowCmd is gantry deployments show ID: one deployment, its
// approvals, what it waits for and the readiness report its approvers
// review.
func newDeploymentShowCmd() *cobra.Command {
	var f deployFlags
	var format string
	c := &cobra.Command{
		Use:   "show DEPLOYMENT",
		Short: "Show one deployment, what it waits for and its readiness report",
		Args:  exactArgs(1, "a DEPLOYMENT number"),
		RunE: func(c *cobra.Command, args []string) error {
			id, err := parseID("deployment", args[0])
			if err != nil {
				return err
			}
			if err := checkReportFormat(format); err != nil {
				return err
			}
			return withDeploy(c, &f, func(b api.DeployService, _ string) error {
				d, approvals, waiting, err := b.Deployment(c.Context(), id)
				if err != nil {
					return err
				}
				rep, err := b.DeploymentReadiness(c.Context(), id)
				if err != nil {
					return err
				}
				v := api.NewDeploymentView(d, approvals, waiting)
				v.Readiness = rep
				if o, _ := c.Flags().GetString("output"); o != "table" || format == "json" {
					if o == "table" {
						_ = c.Flags().Set("output", "json")
					}
					return render(c, v, nil)
				}
				printDeployment(c.OutOrStdout(), d, approvals, waiting)
				w := c.OutOrStdout()
				if rep == nil {
					fmt.Fprintln(w, "  no readiness report attached (only deployments to protected environments get one)")
					return nil
				}
				fmt.Fprintln(w)
				if format == "markdown" {
					rep.Markdown(w)
				} else {
					rep.Text(w)
				}
				return nil
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&format, "format", "text", "the readiness report's format: text, json (the whole deployment, as -o json) or markdown")
	addOutput(c)
	return c
}

func printDeployment(w io.Writer, d record.Deployment, approvals []record.Approval, waiting []string) {
	fmt.Fprintf(w, "deployment %d: %s %s to %s, %s\n", d.ID, d.Pipeline, deploy.Short(d.Revision), d.Env, d.State)
	fmt.Fprintf(w, "  risk %s, gates %s; by %s at %s\n", orDash(d.Risk), strings.Join(d.Gates, ", "), d.CreatedBy, d.CreatedAt.Local().Format(time.DateTime))
	if d.Message != "" {
		fmt.Fprintf(w, "  message: %s\n", d.Message)
	}
	if d.Reason != "" {
		fmt.Fprintf(w, "  reason: %s\n", d.Reason)
	}
	if d.Approvals > 0 {
		fmt.Fprintf(w, "  approvals: %d of %d\n", len(approvals), d.Approvals)
	}
	for _, a := range approvals {
		fmt.Fprintf(w, "    %s at %s %s\n", a.User, a.CreatedAt.Local().Format(time.DateTime), a.Comment)
	}
	for _, wt := range waiting {
		fmt.Fprintf(w, "  waiting for %s\n", wt)
	}
}

func newReleasesCmd() *cobra.Command {
	var f deployFlags
	var env string
	var n int
	c := &cobra.Command{
		Use:   "releases PIPELINE --env ENV",
		Short: "List what a delivery pipeline shipped into an environment, newest first",
		Args:  exactArgs(1, "a PIPELINE"),
		RunE: func(c *cobra.Command, args []string) error {
			if env == "" {
				return usageErr("%s needs --env ENV: the environment released into", c.CommandPath())
			}
			return withDeploy(c, &f, func(b api.DeployService, _ string) error {
				rs, err := b.Releases(c.Context(), args[0], env, n)
				if err != nil {
					return err
				}
				out := api.ReleaseList{Releases: make([]api.ReleaseView, 0, len(rs))}
				for _, r := range rs {
					out.Releases = append(out.Releases, api.NewReleaseView(r))
				}
				return render(c, out, func(w io.Writer) error { return printReleases(w, args[0], env, rs) })
			})
		},
	}
	f.add(c)
	c.Flags().StringVar(&env, "env", "", "the environment released into")
	c.Flags().IntVarP(&n, "limit", "n", 20, "show at most this many")
	addOutput(c)
	return c
}

func printReleases(w io.Writer, pipeline, env string, rs []record.Release) error {
	if len(rs) == 0 {
		fmt.Fprintf(w, "no releases of %s into %s yet: a run of a revision deployed there whose tasks go into %s records one\n", pipeline, env, env)
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "RELEASE\tRUN\tKIND\tRESULT\tAT\tSTARTED BY\tAPPROVED BY\tPARAMS\tREPORTED")
	for _, r := range rs {
		result := "succeeded"
		if !r.Succeeded {
			result = "FAILED"
		}
		var reported []string
		for _, o := range r.Outputs {
			reported = append(reported, o.Task+"."+o.Key+"="+o.Value)
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.RunID, r.Kind, result, r.CreatedAt.Local().Format(time.DateTime),
			orDash(r.TriggeredBy), orDash(strings.Join(r.ApprovedBy, ",")), labelList(r.Params), orDash(strings.Join(reported, " ")))
	}
	return tw.Flush()
}

func newReleaseCmd() *cobra.Command {
	c := &cobra.Command{Use: "release", Short: "Act on a delivery pipeline's releases (see gantry releases)"}
	var env, reason string
	var to int64
	rb := serverCmd("rollback PIPELINE --env ENV --reason TEXT", "Ship an earlier release into an environment again", exactArgs(1, "a PIPELINE"),
		func(c *cobra.Command, cl *apiclient.Client, args []string) error {
			if env == "" || strings.TrimSpace(reason) == "" {
				return usageErr("%s needs --env ENV and --reason TEXT", c.CommandPath())
			}
			v, err := cl.RollbackRelease(c.Context(), args[0], api.ReleaseRollbackRequest{Env: env, To: to, Reason: reason})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "run %d of %s ships release %d into %s again: %s\n", v.ID, v.Pipeline, v.RollbackTo, env, v.State)
			return nil
		})
	rb.Long = "Rollback queues a run of PIPELINE, on the server of ENV, with the params of release --to\n(default: the newest succeeded release before the latest). Its tasks into ENV, and those\nafter them, run again; the ones before (the build) are skipped, and what they reported\nfor that release stands ({{ .Outputs.TASK.KEY }}). It is recorded as a release of kind rollback."
	rb.Flags().StringVar(&env, "env", "", "the environment to roll back")
	rb.Flags().Int64Var(&to, "to", 0, "the release to ship again (gantry releases PIPELINE --env ENV)")
	rb.Flags().StringVar(&reason, "reason", "", "why, for the audit log")
	c.AddCommand(rb)
	return c
}
