package ui

import (
	"fmt"
	"html"
	"html/template"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/record"
)

// ganttSVG draws a run's attempts on one time axis, a row per task: the
// wait in the queue, the attempt running (coloured by how it ended) and
// the back-off before a retry, each with its times on hover.
func ganttSVG(tasks []record.RunTask, atts []record.TaskAttempt, now time.Time) template.HTML {
	if len(atts) == 0 {
		return `<p class="hint">No attempt has started yet.</p>`
	}
	end := func(t time.Time) time.Time {
		if t.IsZero() {
			return now
		}
		return t
	}
	t0, t1 := time.Time{}, time.Time{}
	for _, a := range atts {
		for _, t := range []time.Time{a.QueuedAt, a.StartedAt, a.FinishedAt} {
			if t.IsZero() {
				continue
			}
			if t0.IsZero() || t.Before(t0) {
				t0 = t
			}
			if t.After(t1) {
				t1 = t
			}
		}
	}
	for _, a := range atts {
		if a.FinishedAt.IsZero() && !a.StartedAt.IsZero() && now.After(t1) {
			t1 = now
		}
	}
	span := t1.Sub(t0)
	if span <= 0 {
		span = time.Second
	}
	row := map[string]int{}
	var order []string
	for _, t := range tasks {
		row[t.Task] = len(order)
		order = append(order, t.Task)
	}
	for _, a := range atts {
		if _, ok := row[a.Task]; !ok {
			row[a.Task] = len(order)
			order = append(order, a.Task)
		}
	}
	const left, w, rowH, top = 150, 760, 22, 18
	h := top + len(order)*rowH + 6
	x := func(t time.Time) float64 { return left + float64(t.Sub(t0))/float64(span)*float64(w-left-10) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="gantt" class="gantt" viewBox="0 0 %d %d" role="img" aria-label="timeline of the run's attempts">`, w, h)
	fmt.Fprintf(&b, `<text class="tick" x="%d" y="12">0s</text><text class="tick end" x="%d" y="12">%s</text>`, left, w-10, html.EscapeString(span.Round(time.Millisecond).String()))
	for i, name := range order {
		y := top + i*rowH
		fmt.Fprintf(&b, `<text class="lane" x="4" y="%d">%s</text>`, y+15, html.EscapeString(truncate(name, 20)))
	}
	bar := func(cls string, from, to time.Time, y int, title string) {
		if from.IsZero() || to.Before(from) {
			return
		}
		x1, x2 := x(from), x(to)
		fmt.Fprintf(&b, `<rect class="bar %s" x="%.1f" y="%d" width="%.1f" height="14"><title>%s</title></rect>`,
			html.EscapeString(cls), x1, y+3, max(x2-x1, 1.5), html.EscapeString(title))
	}
	prevEnd := map[string]time.Time{}
	for _, a := range atts {
		y := top + row[a.Task]*rowH
		label := fmt.Sprintf("%s #%d", a.Task, a.Attempt)
		if pe, ok := prevEnd[a.Task]; ok && !a.QueuedAt.IsZero() {
			bar("retry-wait", pe, a.QueuedAt, y, label+": retry back-off "+a.QueuedAt.Sub(pe).Round(time.Millisecond).String())
		}
		if !a.QueuedAt.IsZero() {
			bar("queued", a.QueuedAt, end(a.StartedAt), y, label+": queued "+end(a.StartedAt).Sub(a.QueuedAt).Round(time.Millisecond).String())
		}
		if !a.StartedAt.IsZero() {
			bar(string(a.State), a.StartedAt, end(a.FinishedAt), y, label+": "+spaced(string(a.State))+" "+end(a.FinishedAt).Sub(a.StartedAt).Round(time.Millisecond).String())
		}
		prevEnd[a.Task] = end(a.FinishedAt)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text is escaped
}

// truncate shortens s to n characters, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
