package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gantryhq/gantry/internal/check"
	"github.com/spf13/cobra"
)

func newCheckCmd() *cobra.Command {
	var env, format, output, explain, baseline, store string
	var history bool
	c := &cobra.Command{
		Use:   "check [PATH]",
		Short: "Run the readiness gate over a project",
		Long: `Check runs the readiness gate over a project folder (default "."): retries,
timeouts, resource limits, upstreams, production rollback and approvals,
alert routing, data SLAs, runbooks and hardcoded secrets.

The secret scan covers every text file of the repository: the git work
tree holding the project folder (the files git tracks, and untracked ones
.gitignore does not exclude), or the project folder when it is in none
(skipping .git, .gantry, node_modules, vendor, .venv and the like).
Binary files and files over 10 MiB are noted, not scanned. Files outside
the project folder are shown relative to it (../services/api/...).
--history also scans every commit reachable from HEAD: a secret committed
and later removed is still leaked; its finding names the commit.

A baseline (--baseline FILE) lists accepted legacy findings, each with a
reason and an expiry, and optionally its line and commit:

  - rule: hardcoded-secret
    path: ../services/api/settings.py
    line: 12
    commit: 4f2a9c1
    reason: sandbox key, revoked
    expires: 2026-12-31

The alert-test-fire rule reads when each production route last had a
successful test-fire from the store --store names, or through the server
--server (or $GANTRY_SERVER) names or that runs for the project; never
from a store it was not given. Without either it is not checked, and the
report says so: what the gate decides depends only on what it was given.

Production rules apply to every production environment, or with --env only
to that one (and not at all when it is not a production environment).

Suppress a finding with a reason: '# gantry:ignore RULE reason' on its line
or the line above, or an entry in .gantry-ignore.yaml (see --explain
bad-suppression). 'gantry check --explain RULE' says why a rule exists.

Exit status: 0 when no error-level finding, 1 when any, 2 on a usage error
(--history outside a git repository, a --baseline that does not exist).`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErr("%s takes at most one PATH (see gantry check --help)", c.CommandPath())
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if explain != "" {
				return explainRule(c.OutOrStdout(), explain)
			}
			if format != "text" && format != "json" && format != "sarif" && format != "codequality" {
				return usageErr("unknown --format %q (want text, json, sarif or codequality)", format)
			}
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			if err := exists(dir); err != nil {
				return err
			}
			if info, err := os.Stat(dir); err == nil && !info.IsDir() {
				return usageErr("%s: not a project folder", dir)
			}
			if baseline != "" {
				if err := exists(baseline); err != nil {
					return usageErr("--baseline: %v", err)
				}
				if abs, err := filepath.Abs(baseline); err == nil {
					baseline = abs
				}
			}
			return runCheck(c, dir, checkFlags{env: env, format: format, output: output, baseline: baseline, history: history, store: store})
		},
	}
	c.Flags().StringVar(&env, "env", "", "apply the production rules to this environment only (default: every production environment)")
	c.Flags().StringVar(&format, "format", "text", "output format: text, json, sarif or codequality (GitLab Code Quality)")
	c.Flags().StringVarP(&output, "output", "o", "", "write the report to FILE instead of standard output")
	c.Flags().StringVar(&explain, "explain", "", "print why RULE exists and how to satisfy it, and exit")
	c.Flags().BoolVar(&history, "history", false, "also scan every commit reachable from HEAD for secrets")
	c.Flags().StringVar(&baseline, "baseline", "", "accept the legacy findings FILE lists (each with a reason and an expiry)")
	c.Flags().StringVar(&store, "store", "", "read the alert routes' test-fire history from this store (a SQLite file or postgres:// URL)")
	addServerFlag(c, "read the alert routes' test-fire history from this gantry server")
	return c
}

// checkFlags are gantry check's options.
type checkFlags struct {
	env, format, output, baseline, store string
	history                              bool
}

func runCheck(c *cobra.Command, dir string, fl checkFlags) error {
	env, format, output := fl.env, fl.format, fl.output
	var scanned, total atomic.Int64
	stop := showProgress(c.ErrOrStderr(), &scanned, &total)
	opts := check.Options{
		Env:      env,
		Commands: commandLines(c.Root()),
		Progress: func(n, of int) { scanned.Store(int64(n)); total.Store(int64(of)) },
		History:  fl.history,
		Baseline: fl.baseline,
	}
	hist, err := openTestFires(c, dir, fl.store)
	if err != nil {
		stop()
		return err
	}
	defer hist.close()
	opts.TestFires, opts.Workers = hist.last, hist.workers
	checker, err := check.New(opts)
	if err != nil {
		stop()
		return failed(err)
	}
	rep, err := checker.Check(c.Context(), dir)
	stop()
	switch {
	case errors.Is(err, check.ErrUnknownEnv):
		return usageErr("--env: %v", err)
	case errors.Is(err, check.ErrNoHistory):
		return usageErr("--history: %v", err)
	case err != nil:
		return failed(fmt.Errorf("check %s: %w", dir, err))
	}
	if err := hist.failure(); err != nil {
		return err
	}
	// Where the test-fire history came from is part of the verdict: said
	// before a text report, on stderr beside any other.
	if format == "text" && output == "" {
		fmt.Fprintln(c.OutOrStdout(), hist.source)
	} else {
		fmt.Fprintln(c.ErrOrStderr(), hist.source)
	}
	w, color := c.OutOrStdout(), isTerminal(c.OutOrStdout()) && os.Getenv("NO_COLOR") == ""
	var f *os.File
	if output != "" {
		if f, err = os.Create(output); err != nil {
			return failed(fmt.Errorf("--output: %w", err))
		}
		w, color = f, false
	}
	switch format {
	case "json":
		err = check.WriteJSON(w, rep)
	case "sarif":
		err = check.WriteSARIF(w, rep)
	case "codequality":
		err = check.WriteCodeQuality(w, rep)
	default:
		err = check.WriteText(w, rep, color)
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return failed(fmt.Errorf("write report: %w", err))
	}
	if rep.Passed() {
		return nil
	}
	if format == "text" && output == "" {
		return silent(ExitFailed) // the report's last line says so
	}
	return failed(fmt.Errorf("check failed: %d error(s)", rep.Count(check.SeverityError)))
}

func explainRule(w io.Writer, id string) error {
	r, ok := check.LookupRule(id)
	if !ok {
		var ids []string
		for _, r := range check.Rules() {
			ids = append(ids, r.ID)
		}
		return usageErr("--explain: unknown rule %q (rules: %s)", id, strings.Join(ids, ", "))
	}
	fmt.Fprintf(w, "%s (%s): %s\n\n%s\n", r.ID, r.Severity, r.Title, r.Explain)
	if r.Fix != "" {
		fmt.Fprintf(w, "\nFix: %s\n", r.Fix)
	}
	return nil
}

// showProgress prints how many files were scanned, every second, while
// the check runs and stderr is a terminal. The returned func stops it.
func showProgress(w io.Writer, scanned, total *atomic.Int64) (stop func()) {
	if !isTerminal(w) {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(w, "scanned %d of %d files…\n", scanned.Load(), total.Load())
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
