package cli

import (
	"fmt"
	"strings"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/api/apiclient"
	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/spf13/cobra"
)

// Shell completion (gantry completion bash|zsh|fish|powershell) of the
// names a user types: pipelines, runs, deployments and alert routes, from
// the project's files and from where the command would go (the project's
// running server, or its local store).

// addCompletions gives every command of root's tree completion of its
// PIPELINE, RUN or DEPLOYMENT argument and of its --pipeline and --route
// flags.
func addCompletions(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if f := strings.Fields(c.Use); len(f) > 1 && c.ValidArgsFunction == nil {
			switch {
			case strings.HasPrefix(f[1], "PIPELINE"):
				c.ValidArgsFunction = firstArg(completePipelines)
			case strings.HasPrefix(f[1], "RUN"):
				c.ValidArgsFunction = firstArg(completeRuns)
			case strings.HasPrefix(f[1], "DEPLOYMENT"):
				c.ValidArgsFunction = firstArg(completeDeployments)
			}
		}
		if c.Flags().Lookup("pipeline") != nil {
			_ = c.RegisterFlagCompletionFunc("pipeline", completePipelines)
		}
		if c.Flags().Lookup("route") != nil {
			_ = c.RegisterFlagCompletionFunc("route", completeRoutes)
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
}

type completeFunc = func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective)

// firstArg completes the first argument only.
func firstArg(f completeFunc) completeFunc {
	return func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return f(c, args, toComplete)
	}
}

func completePipelines(c *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var cl *apiclient.Client
	if url := serverURL(c, ""); url != "" {
		cl = newClient(c, url)
	}
	seen := map[string]bool{}
	var out []string
	for _, n := range pipelineNames(c.Context(), projectOf(c), cl) {
		if !seen[n] && strings.HasPrefix(n, toComplete) {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeRuns offers the newest runs, each with its pipeline and state.
func completeRuns(c *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var out []string
	_ = withReader(c, storeFlags{project: projectOf(c), store: flagValue(c, "store")}, func(r reader) error {
		runs, err := r.ListRuns(c.Context(), store.RunFilter{Limit: 50})
		for _, run := range runs {
			if id := fmt.Sprint(run.ID); strings.HasPrefix(id, toComplete) {
				out = append(out, fmt.Sprintf("%s\t%s %s", id, run.Pipeline, run.State))
			}
		}
		return err
	})
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
}

// completeDeployments offers the deployments waiting for approval.
func completeDeployments(c *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	var out []string
	sf := storeFlags{project: projectOf(c), store: flagValue(c, "store")}
	if serverURL(c, "") == "" {
		// Locally, only a store that exists: completing creates nothing.
		p, err := app.LoadProjectFile(sf.project)
		if err != nil || !app.ExistingStore(app.StoreURL(sf.store, sf.project, p)) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
	}
	f := deployFlags{storeFlags: sf, as: "completion"}
	_ = withDeploy(c, &f, func(b api.DeployService, _ string) error {
		ds, err := b.Deployments(c.Context(), store.DeploymentFilter{States: []record.DeploymentState{record.DeploymentPending}, Limit: 50})
		for _, d := range ds {
			if id := fmt.Sprint(d.ID); strings.HasPrefix(id, toComplete) {
				out = append(out, fmt.Sprintf("%s\t%s to %s", id, d.Pipeline, d.Env))
			}
		}
		return err
	})
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveKeepOrder
}

// completeRoutes offers the alert routes gantry.yaml declares.
func completeRoutes(c *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	p, err := app.LoadProjectFile(projectOf(c))
	if err != nil || p == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	var walk func(rs []spec.Route)
	walk = func(rs []spec.Route) {
		for _, r := range rs {
			if r.Name != "" && strings.HasPrefix(r.Name, toComplete) {
				out = append(out, r.Name)
			}
			walk(r.Routes)
		}
	}
	walk(p.Alerts.Routes)
	return out, cobra.ShellCompDirectiveNoFileComp
}
