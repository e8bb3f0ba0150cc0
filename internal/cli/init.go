package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/gantryhq/gantry/internal/scaffold"
	"github.com/spf13/cobra"
)

type initFlags struct {
	template string
	name     string
	owner    string
}

func newInitCmd() *cobra.Command {
	var f initFlags
	c := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Make a new project that passes the readiness gate as generated",
		Long: `Init writes a new project into DIR (default: the current folder; made if
missing): gantry.yaml with environments dev, staging and prod (one
approval), an alert route to a webhook channel whose URL and signing key
are secret references, a pipeline, its scripts, a runbook with a section
for every failure mode the route sends, and a .gitignore for .gantry/.
The project passes 'gantry check --env prod' and runs with 'gantry run'
as generated, with sh and coreutils alone.

Templates (--template):
  data      extract -> transform -> load, daily, with retries, timeouts,
            memory and cpu limits, an SLA, freshness and row-count monitoring
  delivery  lint -> test -> build -> deploy staging -> deploy prod, the
            deploys switching local folders under .gantry/

--name is the project's and its pipeline's name (lowercase letters,
digits, '_' and '-'); by default the folder's name, made to fit. --owner
is the pipeline's owner, a team or person; by default the login name of
the user running gantry init.

Init never overwrites: when any file it would make exists it writes
nothing and names them all.

check and run need no secret. Before alerts are sent, and before the
first deployment to prod (it test-fires the route and is refused unless
the webhook takes the alert), set the channel's secrets:
GANTRY_SECRET_ALERT_WEBHOOK_URL and GANTRY_SECRET_ALERT_WEBHOOK_KEY, or
files .gantry/secrets/alert_webhook_url and alert_webhook_key.

Exit status: 0 when the project was written, 2 on a bad name, owner or
template, 4 when files exist already; see gantry help exit-codes.`,
		Example: `  gantry init orders --template data --owner data-platform
  cd orders && gantry check --env prod && gantry run pipelines/orders.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			return initProject(c.OutOrStdout(), dir, f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.template, "template", scaffold.DefaultTemplate, "what to make: "+strings.Join(scaffold.Templates(), " or "))
	fl.StringVar(&f.name, "name", "", "project and pipeline `name` (default: the folder's name)")
	fl.StringVar(&f.owner, "owner", "", "the pipeline's `owner`, a team or person (default: your login name)")
	return c
}

func initProject(stdout io.Writer, dir string, f initFlags) error {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return usageErr("%s is a file: want a folder to make the project in", dir)
	}
	o := scaffold.Options{Template: f.template, Name: f.name, Owner: f.owner}
	if o.Name == "" {
		o.Name = scaffold.DefaultName(dir)
	}
	if o.Owner == "" {
		o.Owner = defaultOwner()
	}
	if err := o.Validate(); err != nil {
		return usageErr("init: %v", err)
	}
	files, err := scaffold.Write(dir, o)
	var ee *scaffold.ExistsError
	switch {
	case errors.As(err, &ee):
		return refused(fmt.Errorf("init: %w", err))
	case err != nil:
		return failed(fmt.Errorf("init: %w", err))
	}
	fmt.Fprintf(stdout, "made %s project %q (owner %s) in %s:\n", o.Template, o.Name, o.Owner, dir)
	for _, rel := range files {
		fmt.Fprintf(stdout, "  %s\n", rel)
	}
	pipeline := filepath.ToSlash(filepath.Join("pipelines", o.Name+".yaml"))
	fmt.Fprintf(stdout, "\nnext:\n")
	if filepath.Clean(dir) != "." {
		fmt.Fprintf(stdout, "  cd %s\n", shellWord(dir))
	}
	fmt.Fprintf(stdout, "  gantry check --env prod\n  gantry run %s\n", pipeline)
	fmt.Fprintf(stdout, "  set GANTRY_SECRET_ALERT_WEBHOOK_URL and GANTRY_SECRET_ALERT_WEBHOOK_KEY before alerts are sent\n")
	return nil
}

// defaultOwner is the login name of the user running gantry, or "owner"
// when there is none to be had.
func defaultOwner() string {
	if u, err := user.Current(); err == nil && strings.TrimSpace(u.Username) != "" {
		return u.Username
	}
	if s := strings.TrimSpace(os.Getenv("USER")); s != "" {
		return s
	}
	return "owner"
}

// shellWord quotes s for a POSIX shell when it holds anything but plain
// path characters, so the printed next steps can be pasted as they are.
func shellWord(s string) string {
	plain := func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:@,", r)
	}
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool { return !plain(r) }) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
