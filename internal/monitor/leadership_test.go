package monitor

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gantryhq/gantry/internal/record"
)

type fakeLeadership struct {
	lease   record.Lease
	err     error
	leading bool
}

func (f fakeLeadership) Holder() string { return "host-1-abc" }
func (f fakeLeadership) Leading() bool  { return f.leading }
func (f fakeLeadership) Leader(context.Context) (record.Lease, error) {
	return f.lease, f.err
}

// gantry_leader names the live holder the store has, and nothing when the
// lease expired or the store does not answer; gantry_leading is this
// process's own view.
func TestLeadershipMetrics(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		l    fakeLeadership
		want string
	}{
		{"other leads", fakeLeadership{lease: record.Lease{Holder: "host-2-def", ExpiresAt: time.Now().Add(time.Hour)}},
			"gantry_leader{holder=\"host-2-def\"} 1\ngantry_leading{holder=\"host-1-abc\"} 0\n"},
		{"expired", fakeLeadership{lease: record.Lease{Holder: "host-2-def", ExpiresAt: time.Now().Add(-time.Second)}},
			"gantry_leading{holder=\"host-1-abc\"} 0\n"},
		{"store down", fakeLeadership{err: errors.New("down"), leading: true},
			"gantry_leading{holder=\"host-1-abc\"} 1\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			if _, err := RegisterLeadership(reg, tc.l); err != nil {
				t.Fatal(err)
			}
			want := "# HELP gantry_leader 1 for the process that holds the leader lease, as the store says.\n# TYPE gantry_leader gauge\n" +
				"# HELP gantry_leading 1 while this process holds the leader lease.\n# TYPE gantry_leading gauge\n"
			if err := testutil.GatherAndCompare(reg, strings.NewReader(filterHelp(want, tc.want)+tc.want), "gantry_leader", "gantry_leading"); err != nil {
				t.Error(err)
			}
		})
	}
}

// filterHelp keeps the HELP and TYPE lines of the metrics series names.
func filterHelp(help, series string) string {
	var out strings.Builder
	for _, l := range strings.SplitAfter(help, "\n") {
		f := strings.Fields(l)
		if len(f) > 2 && strings.Contains(series, f[2]+"{") {
			out.WriteString(l)
		}
	}
	return out.String()
}
