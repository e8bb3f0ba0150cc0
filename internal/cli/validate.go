package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gantryhq/gantry/internal/spec"
	"github.com/spf13/cobra"
)

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate [PATH...]",
		Short: "Check pipeline files and projects for errors",
		Long: `Validate parses pipeline files (or every pipeline of a project folder) and
reports every error at once as file:line:col: message.

Exit status: 0 when all are valid, 1 when any is invalid, 2 on a usage error.`,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{"."}
			}
			for _, a := range args {
				if err := exists(a); err != nil {
					return err
				}
			}
			_, ps, err := spec.Load(args...)
			if err != nil {
				var errs spec.Errors
				if errors.As(err, &errs) {
					fmt.Fprintln(c.ErrOrStderr(), errs.Error())
					return failed(fmt.Errorf("%d error(s)", len(errs)))
				}
				return failed(err)
			}
			if len(ps) == 0 {
				return failed(fmt.Errorf("no pipeline files found in %s (want *.yaml files, or project folders with pipelines/)", strings.Join(args, ", ")))
			}
			tasks := 0
			for _, p := range ps {
				tasks += len(p.Tasks)
			}
			fmt.Fprintf(c.OutOrStdout(), "ok: %d pipeline(s), %d task(s) valid\n", len(ps), tasks)
			return nil
		},
	}
}
