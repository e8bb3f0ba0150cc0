package cli

import (
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/internal/api/apiclient"
)

func newHealthCmd() *cobra.Command {
	var ready bool
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "health [--server URL] [--ready]",
		Short: "Ask a running server whether it is alive (or ready), for container health checks",
		Long: `Health asks a gantry server's /healthz (alive: the process answers) or, with
--ready, its /readyz (ready: its store answers and it schedules), so that an
image's HEALTHCHECK or a probe needs no curl. It prints nothing when the
answer is yes.

Exit status: 0 when the server answers yes, 5 when it cannot be reached or
answers no, 2 on a usage error.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			url := serverURL(c, defaultServer)
			cl := apiclient.New(url, &http.Client{Timeout: timeout})
			probe, what := cl.Health, "alive"
			if ready {
				probe, what = cl.Ready, "ready"
			}
			if err := probe(c.Context()); err != nil {
				return &exitError{code: ExitUnavailable, err: fmt.Errorf("the gantry server at %s is not %s: %v", url, what, err)}
			}
			return nil
		},
	}
	c.Flags().String("server", "", "the server to ask (or $GANTRY_SERVER; default "+defaultServer+")")
	c.Flags().BoolVar(&ready, "ready", false, "ask /readyz instead of /healthz")
	c.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "how long to wait for the answer")
	return c
}
