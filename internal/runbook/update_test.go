package runbook

import (
	"strings"
	"testing"

	"github.com/gantryhq/gantry/internal/check"
)

// --update rewrites the generated parts from the changed pipeline and
// keeps every word a person wrote, wherever they wrote it.
func TestUpdateKeepsHandWritten(t *testing.T) {
	t.Parallel()
	proj, ps := loadProject(t, goldenProjects["shapes"])
	p := findPipeline(ps, "orders")
	text := Generate(Input{Pipeline: p, Project: proj, Pipelines: ps})
	if n := strings.Count(text, check.FillMarker); n != 4 {
		t.Fatalf("fresh runbook has %d parts to fill, want 4 (purpose, escalation, source, schema)", n)
	}
	// A person fills the marked lines and adds notes after two parts.
	hand := []string{
		"The finance dashboards read warehouse.orders at 07:00.",
		"Escalate to the data-platform lead on call.",
		"The shop's export status page says when the export is late.",
		"Only the shop team changes the export's columns.",
		"Known cause: the nightly VACUUM on the warehouse slows load to 25m.",
		"Last seen 2026-05-02: a holiday halved the volume.",
	}
	n := 0
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, check.FillMarker) {
			l = hand[n]
			n++
		}
		lines = append(lines, l)
		if l == "<!-- gantry:end timeout -->" {
			lines = append(lines, "", hand[4])
		}
		if l == "<!-- gantry:end row-count -->" {
			lines = append(lines, "", hand[5])
		}
	}
	edited := "Read this first: the warehouse is shared.\n\n" + strings.Join(lines, "\n")

	// The pipeline changes: a task renamed, row counts no longer watched.
	changed := *p
	changed.Tasks = append(changed.Tasks[:0:0], p.Tasks...)
	changed.Tasks[0].ID = "scrub"
	changed.Tasks[2].Needs = []string{"scrub", "enrich"}
	changed.Monitoring.RowCounts = nil
	in := Input{Pipeline: &changed, Project: proj, Pipelines: ps}
	got := Update(edited, in)

	for _, h := range hand {
		if strings.Count(got, h) != 1 {
			t.Errorf("updated runbook has %q %d times, want once", h, strings.Count(got, h))
		}
	}
	if !strings.HasPrefix(got, "Read this first") {
		t.Errorf("the text before the first part moved:\n%s", got[:200])
	}
	if i, j := strings.Index(got, hand[4]), strings.Index(got, "<!-- gantry:end timeout -->"); i < j {
		t.Errorf("the note after the timeout part is no longer after it")
	}
	if !strings.Contains(got, "From the former `row-count` section:\n\n"+hand[5]) || !strings.Contains(got, "## Notes from sections no longer generated") {
		t.Errorf("the row-count note is not kept at the end")
	}
	// Schema drift went with the row counts; its filled line goes to the end too.
	if !strings.Contains(got, hand[3]) || strings.Contains(got, "## Schema drift") {
		t.Errorf("schema drift: want its section gone and its hand text kept")
	}
	for _, s := range []string{"### `scrub` failed", "gantry logs RUN_ID scrub", "`scrub` | —"} {
		if !strings.Contains(got, s) {
			t.Errorf("updated runbook lacks %q", s)
		}
	}
	if strings.Contains(got, "`clean`") || strings.Contains(got, "## Row count") || strings.Contains(got, check.FillMarker) {
		t.Errorf("updated runbook still names clean, has a row count section or a part to fill:\n%s", got)
	}
	if again := Update(got, in); again != got {
		t.Errorf("a second update changed the runbook")
	}
}

// A runbook written by hand, before generation, keeps its words: each
// section moves under the generated section of the mode it covers.
func TestUpdateAdoptsHandWritten(t *testing.T) {
	t.Parallel()
	proj, ps := loadProject(t, goldenProjects["shapes"])
	p := findPipeline(ps, "orders")
	legacy := `# Orders runbook

The orders load feeds finance.

## First look

` + "```sh\n## not a heading: inside code\ngantry runs --pipeline orders\n```" + `

## Failure: schema drift

Diagnosis: compare headers.

### Recovery

Ask the shop team.

## Failure: transformation timeout

The VACUUM slows it.

## Contacts

Ask #data-platform.
`
	got := Update(legacy, Input{Pipeline: p, Project: proj, Pipelines: ps})
	order := []string{
		"# Runbook: orders", "<!-- gantry:end overview -->", "The orders load feeds finance.", "## Contacts", "Ask #data-platform.",
		"<!-- gantry:end first-look -->", "## not a heading: inside code",
		"## Timeout", "<!-- gantry:end timeout -->", "### Failure: transformation timeout", "The VACUUM slows it.",
		"## Schema drift", "<!-- gantry:end schema-drift -->", "### Failure: schema drift", "#### Recovery", "Ask the shop team.",
	}
	at := 0
	for _, s := range order {
		i := strings.Index(got[at:], s)
		if i < 0 {
			t.Fatalf("adopted runbook lacks %q after offset %d:\n%s", s, at, got)
		}
		at += i + len(s)
	}
	if strings.Contains(got, "# Orders runbook") || strings.Contains(got, "## First look\n\n```sh\n## not") {
		t.Errorf("the hand title or the duplicate First look heading survived:\n%s", got)
	}
	// Sections it covered need no filling; the others still do.
	if strings.Contains(got, "Who owns the source's format") || !strings.Contains(got, "How to confirm the source is down") {
		t.Errorf("fill prompts: want schema drift's replaced, source unavailable's kept")
	}
	if again := Update(got, Input{Pipeline: p, Project: proj, Pipelines: ps}); again != got {
		t.Errorf("updating an adopted runbook changed it")
	}
}
