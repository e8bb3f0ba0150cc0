package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Exit codes, one table for every command, locally and through a server
// (gantry help exit-codes prints it).
const (
	ExitOK          = 0   // done
	ExitFailed      = 1   // the thing failed: a run, a check, a staging run
	ExitUsage       = 2   // usage or bad input
	ExitNotFound    = 3   // no such run, pipeline, revision, deployment, ...
	ExitRefused     = 4   // refused: gate, approval, store lock, policy, permission
	ExitUnavailable = 5   // the store or the server cannot be reached
	ExitCancelled   = 130 // interrupted (Ctrl-C) or cancelled
)

// exitError carries an exit code up to Main; its message may be empty when
// the command already said everything.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, a...)}
}

// failed ends the command with err and the exit code of what it says:
// ExitFailed unless it is a not-found, a refusal, bad input or an
// unreachable store or server (see exitCodeOf), so that one table holds
// for every command, locally and through a server.
func failed(err error) error { return &exitError{code: exitCodeOf(err), err: err} }

func refused(err error) error { return &exitError{code: ExitRefused, err: err} }

// silent ends the command with code and no further message.
func silent(code int) error { return &exitError{code: code} }

// Main runs the gantry command with args and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "gantry: internal error: %v\nThis is a bug in Gantry; please report it with the command you ran.\n", r)
			code = ExitFailed
		}
	}()
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "gantry: %v\n", ee.err)
		}
		return ee.code
	}
	if code := exitCodeOf(err); code != ExitFailed {
		fmt.Fprintf(stderr, "gantry: %v\n", err)
		return code
	}
	// Errors cobra raises itself (unknown command or flag, bad args).
	fmt.Fprintf(stderr, "gantry: %v\nRun 'gantry --help' for usage.\n", err)
	return ExitUsage
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "gantry",
		Short:         "Deploy pipelines to production safely and keep them healthy there",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr("%v", err) })
	root.PersistentFlags().Bool("verbose", false, "say where the command goes: which server, or which local store, and why")
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		if err := checkOutput(c); err != nil {
			return err
		}
		return checkServerURL(c)
	}
	root.AddCommand(
		newInitCmd(),
		newValidateCmd(),
		newCheckCmd(),
		newRunCmd(),
		newRunsCmd(),
		newPipelinesCmd(),
		newLogsCmd(),
		newDLQCmd(),
		newSchemaCmd(),
		newExportCmd(),
		newBenchCmd(),
		newServeCmd(),
		newWorkerCmd(),
		newWorkersCmd(),
		newTriggerCmd(),
		newCancelCmd(),
		newPauseCmd(true),
		newPauseCmd(false),
		newBackfillCmd(),
		newReloadCmd(),
		newDeployCmd(),
		newRevisionsCmd(),
		newDiffCmd(),
		newPromoteCmd(),
		newApproveCmd(),
		newRejectCmd(),
		newApprovalsCmd(),
		newReleasesCmd(),
		newReleaseCmd(),
		newRollbackCmd(),
		newDeploymentsCmd(),
		newReadinessCmd(),
		newSizingCmd(),
		newTokenCmd(),
		newAuditCmd(),
		newAlertsCmd(),
		newSilenceCmd(),
		newCICmd(),
		newHealthCmd(),
		newRunbookCmd(),
		newVersionCmd(),
		newExitCodesTopic(),
	)
	addCompletions(root)
	return root
}

const version = "0.1.0-dev"

// storeFlags are the flags every command reading state shares.
type storeFlags struct {
	project string
	store   string
}

func (f *storeFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.project, "project", ".", "project folder (holds gantry.yaml and .gantry/)")
	c.Flags().StringVar(&f.store, "store", "", "store: a SQLite file or postgres:// URL (default <project>/.gantry/gantry.db, or $GANTRY_STORE)")
}

func exists(path string) error {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return usageErr("%s: no such file or directory", path)
		}
		return usageErr("%s: %v", path, err)
	}
	return nil
}

// exactArgs wants n arguments and names them in its error.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErr("%s needs %s (see %s --help)", c.CommandPath(), what, c.CommandPath())
		}
		return nil
	}
}
