package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/gantryhq/gantry/internal/schedule"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/spf13/cobra"
)

func newPipelinesCmd() *cobra.Command {
	var sf storeFlags
	c := &cobra.Command{
		Use:   "pipelines",
		Short: "List the project's pipelines: state, next run, last run and freshness",
		Long: `Pipelines lists every pipeline: active, paused or broken; its next
scheduled run; its last run and last success; and, for a pipeline with
sla.freshness, whether its data is fresh or stale. Through the project's
running server (or --server) it shows what that server runs; without one,
the project's files and the runs in its local store.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var ps []api.Pipeline
			var err error
			if url := serverURL(c, ""); url != "" {
				ps, err = newClient(c, url).Pipelines(c.Context())
				err = remoteErr(url, err)
			} else {
				ps, err = localPipelines(c.Context(), sf, time.Now())
			}
			if err != nil {
				return err
			}
			out := api.PipelineList{Pipelines: make([]api.Pipeline, 0, len(ps))}
			for _, p := range ps {
				out.Pipelines = append(out.Pipelines, api.NewPipelineView(p))
			}
			return render(c, out, func(w io.Writer) error { return printPipelines(w, out.Pipelines) })
		},
	}
	sf.add(c)
	addServerFlag(c, "read from this gantry server")
	addOutput(c)
	return c
}

// localPipelines is what a server would list, from the project's files and
// its local store (when it has one).
func localPipelines(ctx context.Context, sf storeFlags, now time.Time) ([]api.Pipeline, error) {
	if err := exists(sf.project); err != nil {
		return nil, err
	}
	// Absolute, as a server names its pipelines' files.
	dir, err := filepath.Abs(sf.project)
	if err != nil {
		return nil, failed(err)
	}
	_, pipes, err := spec.LoadProject(dir)
	if err != nil {
		var errs spec.Errors
		if errors.As(err, &errs) {
			return nil, failed(fmt.Errorf("the project does not load:\n%s", errs.Error()))
		}
		return nil, failed(err)
	}
	st, err := openProjectStore(ctx, sf)
	var ee *exitError
	if errors.As(err, &ee) && ee.code == ExitNotFound {
		st, err = nil, nil // no store yet: no runs, nothing paused
	}
	if err != nil {
		return nil, err
	}
	paused := map[string]bool{}
	if st != nil {
		defer st.Close()
		states, err := st.ListPipelineStates(ctx)
		if err != nil {
			return nil, failed(err)
		}
		for _, s := range states {
			paused[s.Pipeline] = s.Paused
		}
	}
	out := make([]api.Pipeline, 0, len(pipes))
	for _, p := range pipes {
		ap := api.Pipeline{Name: p.Name, File: p.File, Owner: p.Owner, Description: p.Description, Paused: paused[p.Name]}
		for _, t := range p.Tasks {
			ap.Tasks = append(ap.Tasks, t.ID)
		}
		if sc := p.Schedule; sc != nil {
			ap.Cron, ap.Timezone, ap.After = sc.Cron, sc.Timezone, sc.After
			if s, err := schedule.New(sc.Cron, sc.Location); sc.Cron != "" && err == nil && !ap.Paused {
				ap.NextRun = s.Next(now)
			}
		}
		var runs api.RunLister = noRuns{}
		if st != nil {
			runs = st
		}
		none := ""
		if err := api.PipelineRuns(ctx, runs, &none, p.SLA.Freshness, now, &ap); err != nil {
			return nil, failed(fmt.Errorf("read runs of %s: %w", p.Name, err))
		}
		out = append(out, ap)
	}
	return out, nil
}

// noRuns is a project without a store yet.
type noRuns struct{}

func (noRuns) ListRuns(context.Context, store.RunFilter) ([]record.Run, error) { return nil, nil }

func printPipelines(w io.Writer, ps []api.Pipeline) error {
	if len(ps) == 0 {
		fmt.Fprintln(w, "no pipelines")
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "PIPELINE\tSTATE\tSCHEDULE\tNEXT RUN\tLAST RUN\tLAST SUCCESS\tFRESHNESS")
	for _, p := range ps {
		sched := orDash(p.Cron)
		if len(p.After) > 0 {
			sched = fmt.Sprintf("after %v", p.After)
		}
		next := "-"
		if !p.NextRun.IsZero() {
			next = p.NextRun.Local().Format("2006-01-02 15:04")
		}
		last := "-"
		if p.LastRunID != 0 {
			last = fmt.Sprintf("%d %s", p.LastRunID, p.LastRunState)
		}
		success := "-"
		if !p.LastSuccess.IsZero() {
			success = p.LastSuccess.Local().Format("2006-01-02 15:04")
		}
		fresh := orDash(p.Freshness)
		if p.Freshness != "" {
			fresh += " (" + human(time.Duration(p.FreshnessSeconds*float64(time.Second))) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.State, sched, next, last, success, fresh)
	}
	return tw.Flush()
}
