package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gantryhq/gantry/internal/app"
	"github.com/gantryhq/gantry/internal/runbook"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/gantryhq/gantry/internal/store"
	"github.com/spf13/cobra"
)

func newRunbookCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "runbook",
		Short: "Write a pipeline's runbook from the pipeline and the project",
	}
	c.AddCommand(newRunbookGenerateCmd())
	return c
}

func newRunbookGenerateCmd() *cobra.Command {
	var (
		project, output string
		update          bool
	)
	c := &cobra.Command{
		Use:   "generate PIPELINE [--output FILE] [--update]",
		Short: "Write a runbook: one section per failure mode, with the commands for this pipeline",
		Long: `Generate writes PIPELINE's runbook: purpose, owner, schedule and SLA in words,
upstream and downstream pipelines and datasets, and one section per failure
mode the pipeline can raise (task failed, timeout, out of memory, lost
attempt, source unavailable, schema drift and row count for a pipeline
that counts rows, SLA missed, stale data, slow run, retries, dead letters,
rollback) with its symptom, diagnosis and recovery commands, and a
backfill procedure. Each section's heading is the anchor its alerts link to.

What only a person can know is marked ` + "`<!-- gantry:fill -->`" + `; gantry check
reports each until it is written.

Without --output it prints the runbook. --output FILE writes it (refusing to
overwrite a file without --update). --update rewrites the generated parts
of FILE (default: the pipeline's runbook:) and keeps everything a person
wrote; a runbook written by hand has its sections moved under the mode
each one covers.`,
		Args: exactArgs(1, "a PIPELINE"),
		RunE: func(c *cobra.Command, args []string) error {
			if err := exists(project); err != nil {
				return err
			}
			proj, ps, err := spec.LoadProject(project)
			if err != nil {
				var errs spec.Errors
				if errors.As(err, &errs) {
					fmt.Fprintln(c.ErrOrStderr(), errs.Error())
					return failed(fmt.Errorf("the project has %d error(s); fix them first (gantry validate)", len(errs)))
				}
				return failed(err)
			}
			p := findPipeline(ps, args[0])
			if p == nil {
				return &exitError{code: ExitNotFound, err: fmt.Errorf("no pipeline %q in %s%s", args[0], project, pipelineHint(ps, args[0]))}
			}
			in := runbook.Input{Pipeline: p, Project: proj, Pipelines: ps, Peaks: observedPeaks(c.Context(), project, p.Name)}
			return writeRunbook(c, p, in, output, update)
		},
	}
	c.Flags().StringVar(&project, "project", ".", "project folder (holds gantry.yaml and pipelines/)")
	c.Flags().StringVarP(&output, "output", "o", "", "write the runbook to FILE instead of standard output")
	c.Flags().BoolVar(&update, "update", false, "regenerate FILE (default: the pipeline's runbook:), keeping what a person wrote")
	return c
}

func writeRunbook(c *cobra.Command, p *spec.Pipeline, in runbook.Input, output string, update bool) error {
	if output == "" && !update {
		_, err := fmt.Fprint(c.OutOrStdout(), runbook.Generate(in))
		return err
	}
	file := output
	if file == "" {
		if p.Runbook == "" {
			return usageErr("--update: pipeline %s sets no runbook:; name the file with --output", p.Name)
		}
		if strings.HasPrefix(p.Runbook, "http://") || strings.HasPrefix(p.Runbook, "https://") {
			return usageErr("--update: pipeline %s's runbook: is a URL (%s); name the file with --output", p.Name, p.Runbook)
		}
		file = p.Runbook
		if !filepath.IsAbs(file) {
			file = filepath.Join(p.ProjectDir(), filepath.FromSlash(file))
		}
	}
	old, err := os.ReadFile(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		old = nil
	case err != nil:
		return failed(fmt.Errorf("read %s: %w", file, err))
	case !update:
		return usageErr("%s exists; --update regenerates it and keeps what a person wrote", file)
	}
	text := runbook.Generate(in)
	verb := "wrote"
	if old != nil {
		text, verb = runbook.Update(string(old), in), "updated"
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return failed(err)
	}
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		return failed(err)
	}
	fmt.Fprintf(c.ErrOrStderr(), "%s %s\n", verb, file)
	return nil
}

func findPipeline(ps []*spec.Pipeline, name string) *spec.Pipeline {
	for _, p := range ps {
		if p.Name == name {
			return p
		}
	}
	return nil
}

func pipelineHint(ps []*spec.Pipeline, name string) string {
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	if s := spec.Closest(name, names); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// peakRuns is how many recent runs observed peaks are taken over.
const peakRuns = 30

// observedPeaks are the highest peak memory of each task of pipeline over
// its recent runs in the project's store; nil when there is no store.
func observedPeaks(ctx context.Context, dir, pipeline string) map[string]int64 {
	st := existingProjectStore(ctx, dir)
	if st == nil {
		return nil
	}
	defer st.Close()
	runs, err := st.ListRuns(ctx, store.RunFilter{Pipeline: pipeline, Limit: peakRuns})
	if err != nil {
		return nil
	}
	peaks := map[string]int64{}
	for _, r := range runs {
		as, err := st.ListAttempts(ctx, r.ID, "")
		if err != nil {
			return nil
		}
		for _, a := range as {
			if a.PeakMemory > peaks[a.Task] {
				peaks[a.Task] = a.PeakMemory
			}
		}
	}
	return peaks
}

// existingProjectStore opens the project's own store for the attempts a
// generated runbook's observed peaks are read from, when there is one;
// nil, and nothing created, when there is none.
func existingProjectStore(ctx context.Context, dir string) store.Store {
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
