package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gantryhq/gantry/internal/api/apiclient"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/spf13/cobra"
)

// hintPipeline adds "did you mean" to err when c's first argument is a
// PIPELINE and err says it was not found: the closest name among the
// project's pipelines (its files, and the server's when cl is one).
func hintPipeline(c *cobra.Command, cl *apiclient.Client, err error) error {
	args := c.Flags().Args()
	if err == nil || len(args) == 0 || exitCodeOf(err) != ExitNotFound || !namesPipeline(c) {
		return err
	}
	hint := spec.DidYouMean(args[0], pipelineNames(c.Context(), projectOf(c), cl))
	if hint == "" {
		return err
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.err != nil {
		return &exitError{code: ee.code, err: fmt.Errorf("%w (%s)", ee.err, hint)}
	}
	return &exitError{code: ExitNotFound, err: fmt.Errorf("%w (%s)", err, hint)}
}

// namesPipeline reports whether c's first argument is a pipeline name.
func namesPipeline(c *cobra.Command) bool {
	f := strings.Fields(c.Use)
	return len(f) > 1 && strings.HasPrefix(f[1], "PIPELINE")
}

// pipelineNames lists the pipelines of the project in dir, and those the
// server cl runs (it may run deployed revisions the folder lacks).
func pipelineNames(ctx context.Context, dir string, cl *apiclient.Client) []string {
	var names []string
	if _, ps, err := spec.LoadProject(dir); err == nil {
		for _, p := range ps {
			names = append(names, p.Name)
		}
	}
	if cl != nil {
		if ps, err := cl.Pipelines(ctx); err == nil {
			for _, p := range ps {
				names = append(names, p.Name)
			}
		}
	}
	return names
}
