package readiness

import (
	"slices"
	"testing"
	"time"
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
		{"inline code after another command", "## Missed intervals (backfill)\nRun `gantry pause orders`; then `gantry backfill orders --from=<FROM> --to=<TO>`.\n",
			"Missed intervals (backfill)", []string{"gantry", "backfill", "orders", "--from=<FROM>", "--to=<TO>"}},
		{"a backfill section wins over an earlier mention", "## Failure\n`gantry backfill orders --from 2026-01-01 --to 2026-01-01`\n## Backfill\n`gantry backfill orders --from 2026-02-01 --to 2026-02-02`\n",
			"Backfill", []string{"gantry", "backfill", "orders", "--from", "2026-02-01", "--to", "2026-02-02"}},
		{"another pipeline's backfill", "## Backfill\n`gantry backfill ingest --from 2026-01-01 --to 2026-01-02`\n", "", nil},
		{"a comment only", "## Backfill\n# gantry backfill orders --from 2026-01-01 --to 2026-01-02\n", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			section, words, ok := backfillCommand([]byte(tc.doc), "orders")
			if ok != (tc.words != nil) || section != tc.section || !slices.Equal(words, tc.words) {
				t.Errorf("got %q %q %v, want %q %q", section, words, ok, tc.section, tc.words)
			}
		})
	}
}

func TestBackfillRange(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	cases := []struct {
		name        string
		args        []string
		from, to    string
		placeholder bool
		err         string
	}{
		{"dates", []string{"--from", "2026-01-01", "--to=2026-01-05"}, "2026-01-01", "2026-01-05", false, ""},
		{"placeholders", []string{"--from", "<FROM>", "--to", "$TO"}, "2026-03-07", "2026-03-09", true, ""},
		{"no --to", []string{"--from", "2026-01-01"}, "", "", false, "no --to"},
		{"--to before --from", []string{"--from", "2026-01-05", "--to", "2026-01-01"}, "", "", false, "--to 2026-01-01 is before --from 2026-01-05"},
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
			if err != nil || !from.Equal(day(tc.from)) || !to.Equal(day(tc.to)) || ph != tc.placeholder {
				t.Errorf("got %s %s %v %v", from, to, ph, err)
			}
		})
	}
}
