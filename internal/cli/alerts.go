package cli

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/api"
	"github.com/gantryhq/gantry/internal/api/apiclient"
	"github.com/gantryhq/gantry/internal/record"
	"github.com/spf13/cobra"
)

func newAlertsCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "alerts",
		Short: "See alerts and their deliveries; test-fire a route",
		Long: `Alerts shows what Gantry's alert loop raised: failures, missed SLA deadlines,
stale data, row-count drops, degradation, dead letters, scheduler lag and
automatic rollbacks; and, for each, every notification sent and how each
channel answered. They go through the server (--server, $GANTRY_SERVER, or
the project's running server).`,
		Args: cobra.NoArgs,
	}
	c.AddCommand(newAlertsListCmd(), newAlertsShowCmd(), newAlertsTestCmd())
	return c
}

func newAlertsListCmd() *cobra.Command {
	var (
		state    string
		pipeline string
		env      string
		limit    int
	)
	c := serverCmd("list", "List alerts, most recently changed first", cobra.NoArgs,
		func(c *cobra.Command, cl *apiclient.Client, _ []string) error {
			if state == "all" {
				state = ""
			}
			if c.Flags().Changed("env") && env == "" {
				return usageErr("--env: give an environment name (alerts of runs outside any have no env)")
			}
			alerts, err := cl.ListAlerts(c.Context(), record.AlertState(state), pipeline, env, limit)
			if err != nil {
				return err
			}
			if alerts == nil {
				alerts = []api.AlertView{}
			}
			return render(c, api.AlertList{Alerts: alerts}, func(w io.Writer) error { return printAlerts(w, alerts) })
		})
	c.Flags().StringVar(&state, "state", "firing", "firing, resolved or all")
	c.Flags().StringVar(&pipeline, "pipeline", "", "only this pipeline's alerts")
	c.Flags().StringVar(&env, "env", "", "only alerts of this environment")
	c.Flags().IntVar(&limit, "limit", 50, "at most this many")
	addOutput(c)
	return c
}

func printAlerts(w io.Writer, alerts []api.AlertView) error {
	if len(alerts) == 0 {
		fmt.Fprintln(w, "no alerts")
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tSTATE\tALERT\tPIPELINE\tENV\tSEVERITY\tSINCE\tSUMMARY")
	for _, a := range alerts {
		since := a.StartsAt
		if a.State == record.AlertResolved {
			since = a.EndsAt
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.State, a.Name, orDash(a.Pipeline), orDash(a.Env),
			orDash(a.Labels["severity"]), since.Local().Format("2006-01-02 15:04"), a.Annotations["summary"])
	}
	return tw.Flush()
}

func newAlertsShowCmd() *cobra.Command {
	c := serverCmd("show ID", "Show one alert: labels, annotations and every delivery", exactArgs(1, "an alert ID"),
		func(c *cobra.Command, cl *apiclient.Client, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id < 1 {
				return usageErr("alert ID %q: want a positive number (see gantry alerts list)", args[0])
			}
			a, err := cl.GetAlert(c.Context(), id)
			if err != nil {
				return err
			}
			return render(c, a, func(w io.Writer) error { printAlert(w, a); return nil })
		})
	addOutput(c)
	return c
}

func printAlert(w io.Writer, a api.AlertView) {
	fmt.Fprintf(w, "alert %d  %s  %s\n", a.ID, a.Name, strings.ToUpper(string(a.State)))
	fmt.Fprintf(w, "  fingerprint  %s\n", a.Fingerprint)
	fmt.Fprintf(w, "  since        %s\n", a.StartsAt.Local().Format(time.RFC3339))
	if !a.EndsAt.IsZero() {
		fmt.Fprintf(w, "  resolved     %s\n", a.EndsAt.Local().Format(time.RFC3339))
	}
	if a.RunID != 0 {
		fmt.Fprintf(w, "  run          %d\n", a.RunID)
	}
	if a.SilencedBy != 0 {
		fmt.Fprintf(w, "  silenced by  silence %d: nothing is sent while it lasts\n", a.SilencedBy)
	}
	fmt.Fprintln(w, "labels:")
	printMap(w, a.Labels)
	if len(a.Annotations) > 0 {
		fmt.Fprintln(w, "annotations:")
		printMap(w, a.Annotations)
	}
	if len(a.Deliveries) == 0 {
		fmt.Fprintln(w, "deliveries: none yet (waiting for group_wait, silenced, or no route)")
		return
	}
	fmt.Fprintln(w, "deliveries:")
	printDeliveries(w, a.Deliveries)
}

func printMap(w io.Writer, m map[string]string) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s: %s\n", k, m[k])
	}
}

func printDeliveries(w io.Writer, ds []api.DeliveryView) {
	tw := newTable(w)
	fmt.Fprintln(tw, "  AT\tCHANNEL\tTYPE\tKIND\tRESULT\tATTEMPTS\tERROR")
	for _, d := range ds {
		result := "ok"
		if !d.OK {
			result = "FAILED"
		}
		if d.Status != 0 {
			result += fmt.Sprintf(" (%d)", d.Status)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%d\t%s\n", d.At.Local().Format("2006-01-02 15:04:05"), d.Channel, d.Type,
			d.Kind, result, d.Attempts, d.Error)
	}
	tw.Flush()
}

func newAlertsTestCmd() *cobra.Command {
	var route string
	c := serverCmd("test --route NAME", "Send a marked test alert through every channel of a route", cobra.NoArgs,
		func(c *cobra.Command, cl *apiclient.Client, _ []string) error {
			if route == "" {
				return usageErr("--route is required: the route to test, as named under alerts.routes in gantry.yaml")
			}
			tf, err := cl.TestFire(c.Context(), route)
			if err != nil {
				return err
			}
			w := c.OutOrStdout()
			fmt.Fprintf(w, "test-fire %d of route %s by %s: %d channel(s)\n", tf.ID, tf.Route, tf.Actor, len(tf.Channels))
			printDeliveries(w, tf.Deliveries)
			if !tf.OK {
				return failed(fmt.Errorf("%d channel(s) did not take the test alert: %s", len(tf.Failed), strings.Join(tf.Failed, ", ")))
			}
			fmt.Fprintln(w, "every channel took the test alert")
			return nil
		})
	c.Long = `Test sends a clearly marked test alert through every channel of the route
(its child routes included) and records which deliveries succeeded. The
readiness gate (gantry check --env prod) wants a successful test-fire of
each production pipeline's route within the last 30 days. It exits 1 when a
channel did not take the alert.`
	c.Flags().StringVar(&route, "route", "", "the route to test")
	return c
}

func newSilenceCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "silence",
		Short: "Mute alerts for a while: add, list, expire",
		Long: `A silence mutes every alert all of its matchers match, for a duration; the
alerts still fire and are recorded, but nothing is sent. Silences go through
the server (--server, $GANTRY_SERVER, or the project's running server).`,
		Args: cobra.NoArgs,
	}
	c.AddCommand(newSilenceAddCmd(), newSilenceListCmd(), newSilenceExpireCmd())
	return c
}

func newSilenceAddCmd() *cobra.Command {
	var (
		matches  []string
		duration time.Duration
		reason   string
	)
	c := serverCmd("add --match k=v [--match ...] --duration D --reason R", "Mute matching alerts for a duration", cobra.NoArgs,
		func(c *cobra.Command, cl *apiclient.Client, _ []string) error {
			if len(matches) == 0 {
				return usageErr("--match is required, e.g. --match pipeline=orders_daily")
			}
			var ms []record.Matcher
			for _, m := range matches {
				pm, err := parseMatcher(m)
				if err != nil {
					return err
				}
				ms = append(ms, pm)
			}
			switch {
			case !c.Flags().Changed("duration"):
				return usageErr("--duration is required, e.g. --duration 2h")
			case duration <= 0:
				return usageErr("--duration %s: the duration must be positive, e.g. --duration 2h", duration)
			}
			if reason == "" {
				return usageErr("--reason is required: say why, for whoever is paged next")
			}
			s, err := cl.AddSilence(c.Context(), api.SilenceRequest{Matchers: ms, DurationSeconds: duration.Seconds(), Reason: reason})
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "silence %d: %s until %s (%s)\n", s.ID, matchersText(s.Matchers),
				s.EndsAt.Local().Format("2006-01-02 15:04"), s.Reason)
			return nil
		})
	c.Flags().StringArrayVar(&matches, "match", nil, "a label matcher: `name=value`, name!=value, name=~regexp or name!~regexp (repeatable; all must match)")
	c.Flags().DurationVar(&duration, "duration", 0, "how long, e.g. 2h")
	c.Flags().StringVar(&reason, "reason", "", "why")
	return c
}

var matcherRe = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)(.*)$`)

func parseMatcher(s string) (record.Matcher, error) {
	m := matcherRe.FindStringSubmatch(s)
	if m == nil {
		return record.Matcher{}, usageErr("--match %q: want name=value, name!=value, name=~regexp or name!~regexp", s)
	}
	return record.Matcher{Name: m[1], Op: m[2], Value: m[3]}, nil
}

func matchersText(ms []record.Matcher) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.Name + m.Op + strconv.Quote(m.Value)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func newSilenceListCmd() *cobra.Command {
	var all bool
	c := serverCmd("list", "List silences (active ones unless --all)", cobra.NoArgs,
		func(c *cobra.Command, cl *apiclient.Client, _ []string) error {
			ss, err := cl.ListSilences(c.Context(), !all)
			if err != nil {
				return err
			}
			if ss == nil {
				ss = []api.SilenceView{}
			}
			return render(c, api.SilenceList{Silences: ss}, func(w io.Writer) error { return printSilences(w, ss) })
		})
	c.Flags().BoolVar(&all, "all", false, "include silences that ended")
	addOutput(c)
	return c
}

func printSilences(w io.Writer, ss []api.SilenceView) error {
	if len(ss) == 0 {
		fmt.Fprintln(w, "no silences")
		return nil
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tACTIVE\tMATCHERS\tBY\tUNTIL\tREASON")
	for _, s := range ss {
		until := s.EndsAt.Local().Format("2006-01-02 15:04")
		if s.ExpiredBy != "" {
			until += " (expired by " + s.ExpiredBy + ")"
		}
		fmt.Fprintf(tw, "%d\t%v\t%s\t%s\t%s\t%s\n", s.ID, s.Active, matchersText(s.Matchers), s.CreatedBy, until, s.Reason)
	}
	return tw.Flush()
}

func newSilenceExpireCmd() *cobra.Command {
	return serverCmd("expire ID", "End a silence now", exactArgs(1, "a silence ID"),
		func(c *cobra.Command, cl *apiclient.Client, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id < 1 {
				return usageErr("silence ID %q: want a positive number (see gantry silence list)", args[0])
			}
			s, err := cl.ExpireSilence(c.Context(), id)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "silence %d expired: %s\n", s.ID, matchersText(s.Matchers))
			return nil
		})
}
