package ui

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"slices"
	"strings"
)

// Charts are SVG drawn here, in Go: numbers formatted by the server and
// every text escaped, so that a page needs no script to show them.

// sparkline draws values as a small line, oldest first; nothing for
// fewer than two.
func sparkline(values []float64) template.HTML {
	if len(values) < 2 {
		return ""
	}
	const w, h = 80, 18
	lo, hi := bounds(values)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="rows: %s"><polyline points="`,
		w, h, w, h, html.EscapeString(fmt.Sprintf("%.0f to %.0f", values[0], values[len(values)-1])))
	for i, v := range values {
		x := float64(i) * w / float64(len(values)-1)
		y := h - 1 - (v-lo)/(hi-lo)*(h-2)
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%.0f,%.0f", x, y)
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers only; the label is escaped
}

// bounds returns the range values span, never empty.
func bounds(values []float64) (lo, hi float64) {
	lo, hi = slices.Min(values), slices.Max(values)
	if hi == lo {
		lo, hi = lo-1, hi+1
	}
	return lo, hi
}

// point is one value of a chart, with its label for the hover title.
type point struct {
	V     float64
	Label string
	Href  string // where a click on it goes; "" for nowhere
	Bad   bool   // drawn in the failure colour
}

// refLine is a horizontal line across a chart: a percentile or an SLA.
type refLine struct {
	V     float64
	Label string
	Class string
}

// chart draws points as a line with dots, oldest first, and the
// reference lines, with unit formatting the axis figures.
func chart(id, title string, pts []point, refs []refLine, unit func(float64) string) template.HTML {
	if len(pts) == 0 {
		return template.HTML(`<p class="hint">No data yet for ` + html.EscapeString(title) + `.</p>`) //nolint:gosec // escaped
	}
	const w, h, left, top, bottom = 640, 150, 70, 10, 20
	vals := make([]float64, 0, len(pts)+len(refs))
	for _, p := range pts {
		vals = append(vals, p.V)
	}
	for _, r := range refs {
		vals = append(vals, r.V)
	}
	lo, hi := bounds(vals)
	lo = math.Min(lo, 0)
	hi *= 1.05
	y := func(v float64) float64 { return top + (hi-v)/(hi-lo)*(h-top-bottom) }
	x := func(i int) float64 {
		if len(pts) == 1 {
			return left + (w-left-10)/2
		}
		return left + float64(i)*(w-left-10)/float64(len(pts)-1)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="%s" class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s">`,
		html.EscapeString(id), w, h, html.EscapeString(title))
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/>`, left, y(lo), w-10, y(lo))
	fmt.Fprintf(&b, `<text class="tick" x="%d" y="%.1f">%s</text>`, left-4, y(hi)+10, html.EscapeString(unit(hi)))
	fmt.Fprintf(&b, `<text class="tick" x="%d" y="%.1f">%s</text>`, left-4, y(lo), html.EscapeString(unit(lo)))
	for _, r := range refs {
		fmt.Fprintf(&b, `<line class="ref %s" x1="%d" y1="%.1f" x2="%d" y2="%.1f"/><text class="ref-label" x="%d" y="%.1f">%s</text>`,
			html.EscapeString(r.Class), left, y(r.V), w-10, y(r.V), w-12, y(r.V)-3,
			html.EscapeString(r.Label+" "+unit(r.V)))
	}
	if len(pts) > 1 {
		b.WriteString(`<polyline class="series" points="`)
		for i, p := range pts {
			fmt.Fprintf(&b, "%.1f,%.1f ", x(i), y(p.V))
		}
		b.WriteString(`"/>`)
	}
	for i, p := range pts {
		cls := "dot"
		if p.Bad {
			cls += " bad"
		}
		dot := fmt.Sprintf(`<circle class="%s" cx="%.1f" cy="%.1f" r="3"><title>%s</title></circle>`,
			cls, x(i), y(p.V), html.EscapeString(p.Label+": "+unit(p.V)))
		if p.Href != "" {
			dot = `<a href="` + html.EscapeString(p.Href) + `">` + dot + `</a>`
		}
		b.WriteString(dot)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // numbers and escaped text only
}

// percentile is the p-th percentile (0..1) of values, nearest rank.
func percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return 0
	}
	s := slices.Clone(values)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}
