package check

import (
	"slices"
	"strings"
	"testing"
)

func TestGantryCalls(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code string
		want []string // each call's args, joined
	}{
		{"gantry runs show RUN_ID", []string{"runs show RUN_ID"}},
		{"gantry validate && gantry check", []string{"validate", "check"}},
		{"gantry logs RUN_ID extract      # a task's log", []string{"logs RUN_ID extract"}},
		{"gantry dlq replay DLQ_ID (the extract entry in ", []string{"dlq replay DLQ_ID"}},
		{"$ gantry runs --limit 1 | head", []string{"runs --limit 1"}},
		{"cat gantry.yaml", nil},
		{"echo gantry check", nil}, // not in command position
		{"gantry", nil},
		{`gantry rollback p --env prod --reason "bad data"`, []string{"rollback p --env prod --reason bad data"}},
		{`gantry silence add --match 'pipeline=orders' --reason "it's \"late\"" --duration 2h`, []string{`silence add --match pipeline=orders --reason it's "late" --duration 2h`}},
		{"x=$(gantry runs --limit 1) && echo `gantry check`", []string{"runs --limit 1", "check"}},
		{`gantry logs "$RUN" extract`, []string{"logs $RUN extract"}},
	} {
		var got []string
		for _, c := range gantryCalls(tc.code) {
			got = append(got, strings.Join(c.Args, " "))
			if len(c.Args) > 0 && !strings.HasPrefix(tc.code[c.Offset:], "gantry") {
				t.Errorf("gantryCalls(%q): offset %d is not at gantry", tc.code, c.Offset)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("gantryCalls(%q) = %q, want %q", tc.code, got, tc.want)
		}
	}
}

func TestSpans(t *testing.T) {
	t.Parallel()
	line := "2. Replay: `gantry dlq replay DLQ_ID (the extract entry in `gantry dlq list`)` and ``a ` b``."
	var got []string
	for _, c := range spans(line, 1) {
		got = append(got, c.Text)
	}
	want := []string{"gantry dlq replay DLQ_ID (the extract entry in", ")", "a ` b"}
	if !slices.Equal(got, want) {
		t.Errorf("spans = %q, want %q", got, want)
	}
}

func TestCoverageMarkers(t *testing.T) {
	t.Parallel()
	doc := parseMarkdown(`# Runbook

## Failure: one
Diagnosis: ` + "`ls -l data/`" + `
1. Check the thing: ` + "`not a marker`" + `
Recovery:

` + "```sh\ngantry dlq replay ID\n```" + `

## Failure: two
**Diagnosis**: look around.
Fix the app and ship it: ` + "`make ship`" + `
`)
	if len(doc.sections) != 2 {
		t.Fatalf("sections = %+v", doc.sections)
	}
	one, two := doc.sections[0], doc.sections[1]
	if !one.diagCmd || !one.recCmd {
		t.Errorf("section one = %+v, want diagnosis and recovery commands", one)
	}
	// "Fix the app" is prose, not a Fix: label, so two has no recovery.
	if !two.diag || two.rec || two.recCmd {
		t.Errorf("section two = %+v, want a diagnosis part only", two)
	}
}

// A fenced command continued over lines with a backslash is one command,
// as the shell reads it; the next line starts a new one.
func TestFencedContinuation(t *testing.T) {
	t.Parallel()
	doc := parseMarkdown("## Backfill\n\n```sh\ngantry backfill orders \\\n  --from 2026-01-01 \\\n  --to 2026-01-03\ngantry runs --limit 1\n```\n")
	var got []string
	var lines []int
	for _, c := range doc.code {
		for _, call := range gantryCalls(c.Text) {
			got = append(got, strings.Join(call.Args, " "))
			lines = append(lines, c.Line)
		}
	}
	if want := []string{"backfill orders --from 2026-01-01 --to 2026-01-03", "runs --limit 1"}; !slices.Equal(got, want) {
		t.Errorf("calls = %q, want %q", got, want)
	}
	if !slices.Equal(lines, []int{4, 7}) {
		t.Errorf("lines = %v, want [4 7]", lines)
	}

	// A command found on a continued line is placed there; a line ending
	// in an escaped backslash is not continued.
	doc = parseMarkdown("```sh\nexport A=1 \\\n  && gantry backfill orders\necho done \\\\\ngantry runs\n```\n")
	var pos [][2]int
	for _, c := range doc.code {
		for _, call := range gantryCalls(c.Text) {
			l, col := c.pos(call.Offset)
			pos = append(pos, [2]int{l, col})
		}
	}
	if want := [][2]int{{3, 6}, {5, 1}}; !slices.Equal(pos, want) {
		t.Errorf("positions = %v, want %v", pos, want)
	}
}
