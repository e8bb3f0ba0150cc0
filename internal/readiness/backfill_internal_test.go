package readiness

import (
	"slices"
	"testing"
	"time"

	"github.com/gantryhq/gantry/internal/spec"
)

func TestBackfillCommand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, doc string
		section   string
		words     []string
	}{
		{"quoted arguments in a code block", "# x\n## Backfill\n```sh\n$ gantry backfill orders --from \"2026-01-01\" --to '2026-01-03' # three days\n```\n",
			"Backfill", []string{"gantry", "backfill", "orders", "--from", "2026-01-01", "--to", "2026-01-03"}},
		{"inline code after another command", "## Missed intervals (backfill)\nRun `gantry pause orders`; then `gantry backfill orders --from='<FROM>' --to=\"<TO>\"`.\n",
			"Missed intervals (backfill)", []string{"gantry", "backfill", "orders", "--from=<FROM>", "--to=<TO>"}},
		{"a backfill section wins over an earlier mention", "## Failure\n`gantry backfill orders --from 2026-01-01 --to 2026-01-01`\n## Backfill\n`gantry backfill orders --from 2026-02-01 --to 2026-02-02`\n",
			"Backfill", []string{"gantry", "backfill", "orders", "--from", "2026-02-01", "--to", "2026-02-02"}},
		{"another pipeline's backfill", "## Backfill\n`gantry backfill ingest --from 2026-01-01 --to 2026-01-02`\n", "", nil},
		{"a comment only", "## Backfill\n```sh\n# gantry backfill orders --from 2026-01-01 --to 2026-01-02\n```\n", "", nil},
		{"continued over lines", "## Backfill\n```sh\ngantry backfill orders \\\n  --from 2026-01-01 \\\n  --to 2026-01-02\n```\n",
			"Backfill", []string{"gantry", "backfill", "orders", "--from", "2026-01-01", "--to", "2026-01-02"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			section, words, ok := backfillCommand([]byte(tc.doc), &spec.Pipeline{Name: "orders"})
			if ok != (tc.words != nil) || section != tc.section || !slices.Equal(words, tc.words) {
				t.Errorf("got %q %q %v, want %q %q", section, words, ok, tc.section, tc.words)
			}
		})
	}
}

func TestBackfillRange(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name        string
		args        []string
		from, to    string
		placeholder bool
		err         string
	}{
		{"dates", []string{"--from", "2026-01-01", "--to=2026-01-05"}, "2026-01-01", "2026-01-05", false, ""},
		{"instants", []string{"--from", "2026-01-01T06:00", "--to", "2026-01-01T18:00"}, "2026-01-01T06:00", "2026-01-01T18:00", false, ""},
		{"placeholders", []string{"--from", "<FROM>", "--to", "$TO"}, "2026-03-07", "2026-03-09", true, ""},
		{"no --to", []string{"--from", "2026-01-01"}, "", "", false, "no --to"},
		{"a flag without its value", []string{"--from"}, "", "", false, "--from needs a value"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			from, to, ph, err := backfillRange(append([]string{"gantry", "backfill", "orders"}, tc.args...), now, time.UTC)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Errorf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || from != tc.from || to != tc.to || ph != tc.placeholder {
				t.Errorf("got %s %s %v %v", from, to, ph, err)
			}
		})
	}
}

// The dry run plans what gantry backfill creates: every interval that
// starts on the days asked for (a daily 02:00 run's last day included),
// in the pipeline's time zone, or between two instants.
func TestBackfillPlan(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, cron, from, to string
		loc                  *time.Location
		want                 []string // interval starts, UTC
		err                  string
	}{
		{"daily at 02:00, three days", "0 2 * * *", "2026-11-30", "2026-12-02", berlin,
			[]string{"2026-11-30T01:00:00Z", "2026-12-01T01:00:00Z", "2026-12-02T01:00:00Z"}, ""},
		{"every six hours between instants", "0 */6 * * *", "2026-11-01T00:00", "2026-11-01T12:00", time.UTC,
			[]string{"2026-11-01T00:00:00Z", "2026-11-01T06:00:00Z"}, ""},
		{"no cron: one per day", "", "2026-03-01", "2026-03-02", berlin,
			[]string{"2026-02-28T23:00:00Z", "2026-03-01T23:00:00Z"}, ""},
		{"--to before --from", "0 2 * * *", "2026-01-05", "2026-01-01", time.UTC, nil, "--to 2026-01-01 does not end after --from 2026-01-05"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &spec.Pipeline{Name: "orders"}
			if tc.cron != "" {
				p.Schedule = &spec.Schedule{Cron: tc.cron, Location: tc.loc}
			} else {
				p.Schedule = &spec.Schedule{Location: tc.loc}
			}
			a := &assessment{in: Input{Pipeline: p}}
			ivs, err := a.plan(tc.from, tc.to)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Errorf("err = %v, want %q", err, tc.err)
				}
				return
			}
			var got []string
			for _, iv := range ivs {
				got = append(got, iv.Start.UTC().Format(time.RFC3339))
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf("plan(%s, %s) = %v, %v; want %v", tc.from, tc.to, got, err, tc.want)
			}
		})
	}
}
