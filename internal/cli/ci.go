package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gantryhq/gantry/internal/ci"
	"github.com/gantryhq/gantry/internal/spec"
	"github.com/spf13/cobra"
)

func newCICmd() *cobra.Command {
	var project, output string
	var force bool
	c := &cobra.Command{
		Use:   "ci gitlab|github [--project DIR] [--output FILE]",
		Short: "Write the CI configuration that validates, checks, tests and deploys the project",
		Long: `CI writes a GitLab pipeline (gitlab) or a GitHub Actions workflow (github)
that runs Gantry: lint (gantry validate, gantry check as GitLab Code Quality
or SARIF for GitHub code scanning), test (the project's tests from
gantry.yaml's test: {run:}, and a staging plan: gantry check --env STAGING
and gantry diff), build (the image of the repository's Dockerfile, tagged
with the commit), deploy to staging (gantry deploy --all --wait on the
default branch), and manual production jobs in a protected environment:
gantry promote, whose approvals happen in Gantry, and gantry rollback.

The jobs install gantry with 'go install ` + ci.Module + `/cmd/gantry@$GANTRY_VERSION'
and reach the server through the CI variables GANTRY_SERVER and GANTRY_TOKEN
(masked): the file holds no secret value.

It prints to standard output, or writes --output FILE (` + ci.DefaultFile["gitlab"] + ` or
` + ci.DefaultFile["github"] + `), and refuses to overwrite an existing
FILE unless --force.`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErr("%s takes one target: gitlab or github (see gantry ci --help)", c.CommandPath())
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			target := args[0]
			if _, ok := ci.DefaultFile[target]; !ok {
				return usageErr("unknown CI target %q (want gitlab or github)", target)
			}
			if err := exists(project); err != nil {
				return err
			}
			opts, err := ciOptions(project)
			if err != nil {
				var errs spec.Errors
				if errors.As(err, &errs) {
					fmt.Fprintln(c.ErrOrStderr(), errs.Error())
					return failed(fmt.Errorf("%d error(s) in the project; fix them first (gantry validate %s)", len(errs), project))
				}
				return failed(err)
			}
			out, err := ci.Render(target, opts)
			if err != nil {
				return failed(err)
			}
			if output == "" {
				_, err := c.OutOrStdout().Write(out)
				return err
			}
			if err := writeNew(output, out, force); err != nil {
				return err
			}
			fmt.Fprintf(c.ErrOrStderr(), "wrote %s (set GANTRY_SERVER and a masked GANTRY_TOKEN in the CI settings)\n", output)
			return nil
		},
	}
	c.Flags().StringVar(&project, "project", ".", "project folder (holds gantry.yaml)")
	c.Flags().StringVarP(&output, "output", "o", "", "write the configuration to FILE instead of standard output")
	c.Flags().BoolVar(&force, "force", false, "with --output: overwrite FILE if it exists")
	return c
}

// ciOptions loads the project in dir and finds where it sits in its
// repository: the CI file lives at the repository's root (the nearest
// folder above dir with .git, else dir itself) and names the project and
// its Dockerfile from there.
func ciOptions(dir string) (ci.Options, error) {
	proj, pipelines, err := spec.LoadProject(dir)
	if err != nil {
		return ci.Options{}, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return ci.Options{}, err
	}
	root := repoRoot(abs)
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		return ci.Options{}, err
	}
	o := ci.Options{Dir: filepath.ToSlash(rel), Project: proj, Pipelines: pipelines}
	for _, d := range []string{abs, root} {
		if info, err := os.Stat(filepath.Join(d, "Dockerfile")); err == nil && info.Mode().IsRegular() {
			r, _ := filepath.Rel(root, filepath.Join(d, "Dockerfile"))
			o.Dockerfile = filepath.ToSlash(r)
			break
		}
	}
	return o, nil
}

func repoRoot(dir string) string {
	for d := dir; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}

// writeNew writes data to file, creating its folder; an existing file is
// refused unless force.
func writeNew(file string, data []byte, force bool) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return failed(fmt.Errorf("--output: %w", err))
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(file, flags, 0o644)
	if errors.Is(err, os.ErrExist) {
		return refused(fmt.Errorf("%s exists; not overwriting it (pass --force to replace it)", file))
	}
	if err != nil {
		return failed(fmt.Errorf("--output: %w", err))
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return failed(fmt.Errorf("--output %s: %w", file, err))
	}
	return nil
}
