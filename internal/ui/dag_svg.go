package ui

import (
	"fmt"
	"html"
	"html/template"
	"slices"
	"strings"
)

// dagNode is one task to draw: its needs and its state in this run.
type dagNode struct {
	ID       string
	Needs    []string
	State    string // "" when the run has no such task
	Attempts int
}

// layers assigns each node the layer one past its deepest need (a
// longest-path layering), then orders each layer by the mean position of
// its needs in the layer before (one barycentre sweep), which removes
// most crossings of a pipeline's usual shapes. Needs that are not nodes,
// and cycles, are ignored: the spec was validated before it ran.
func layers(nodes []dagNode) [][]string {
	idx := map[string]int{}
	for i, n := range nodes {
		idx[n.ID] = i
	}
	depth := make([]int, len(nodes))
	state := make([]int, len(nodes)) // 0 new, 1 visiting, 2 done
	var visit func(i int) int
	visit = func(i int) int {
		if state[i] == 2 || state[i] == 1 {
			return depth[i]
		}
		state[i] = 1
		d := 0
		for _, need := range nodes[i].Needs {
			if j, ok := idx[need]; ok {
				d = max(d, visit(j)+1)
			}
		}
		depth[i], state[i] = d, 2
		return d
	}
	var out [][]string
	for i := range nodes {
		d := visit(i)
		for len(out) <= d {
			out = append(out, nil)
		}
		out[d] = append(out[d], nodes[i].ID)
	}
	pos := map[string]float64{}
	for i, layer := range out {
		if i > 0 {
			bary := map[string]float64{}
			for _, id := range layer {
				sum, n := 0.0, 0
				for _, need := range nodes[idx[id]].Needs {
					if p, ok := pos[need]; ok {
						sum += p
						n++
					}
				}
				if n > 0 {
					bary[id] = sum / float64(n)
				}
			}
			slices.SortStableFunc(layer, func(a, b string) int {
				switch {
				case bary[a] < bary[b]:
					return -1
				case bary[a] > bary[b]:
					return 1
				}
				return 0
			})
		}
		for j, id := range layer {
			pos[id] = float64(j)
		}
	}
	return out
}

// dagSVG draws the DAG left to right: a column per layer, a box per task
// coloured by its state and labelled with it in words, an edge per need.
// Each box links to the task's attempts on the page (#task-ID).
func dagSVG(nodes []dagNode) template.HTML {
	if len(nodes) == 0 {
		return ""
	}
	const boxW, boxH, gapX, gapY, pad = 170, 44, 60, 18, 40
	ls := layers(nodes)
	type xy struct{ x, y int }
	at := map[string]xy{}
	rows := 0
	for _, l := range ls {
		rows = max(rows, len(l))
	}
	for i, l := range ls {
		off := (rows - len(l)) * (boxH + gapY) / 2
		for j, id := range l {
			at[id] = xy{pad + i*(boxW+gapX), pad + off + j*(boxH+gapY)}
		}
	}
	w := 2*pad + len(ls)*boxW + (len(ls)-1)*gapX
	h := 2*pad + rows*boxH + (rows-1)*gapY
	var b strings.Builder
	fmt.Fprintf(&b, `<svg id="dag" class="dag" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="the run's tasks and their needs">`, w, h, w, h)
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L8,4 L0,8 z" class="arrowhead"/></marker></defs>`)
	for _, n := range nodes {
		to := at[n.ID]
		for _, need := range n.Needs {
			from, ok := at[need]
			if !ok {
				continue
			}
			x1, y1 := from.x+boxW, from.y+boxH/2
			x2, y2 := to.x, to.y+boxH/2
			if to.x-from.x > boxW+gapX {
				// A need a layer or more back: bend the edge into the gap
				// above the boxes between, so that it does not pass behind
				// them.
				lift := min(y1, y2) - boxH/2 - gapY/2
				fmt.Fprintf(&b, `<path class="edge" d="M%d,%d C%d,%d %d,%d %d,%d S%d,%d %d,%d" marker-end="url(#arrow)"/>`,
					x1, y1, x1+gapX/2, y1, x1+gapX/2, lift, (x1+x2)/2, lift, x2-gapX/2, y2, x2, y2)
				continue
			}
			fmt.Fprintf(&b, `<path class="edge" d="M%d,%d C%d,%d %d,%d %d,%d" marker-end="url(#arrow)"/>`,
				x1, y1, x1+gapX/2, y1, x2-gapX/2, y2, x2, y2)
		}
	}
	for _, n := range nodes {
		p := at[n.ID]
		st := n.State
		if st == "" {
			st = "not_in_run"
		}
		label := truncate(n.ID, 22)
		sub := spaced(st)
		if n.Attempts > 1 {
			sub += fmt.Sprintf(" · %d attempts", n.Attempts)
		}
		fmt.Fprintf(&b, `<a href="#task-%s" class="node" data-task="%s"><title>%s: %s</title><rect class="box %s" x="%d" y="%d" width="%d" height="%d" rx="6"/><text class="name" x="%d" y="%d">%s</text><text class="sub" x="%d" y="%d">%s</text></a>`,
			html.EscapeString(n.ID), html.EscapeString(n.ID), html.EscapeString(n.ID), html.EscapeString(sub),
			html.EscapeString(st), p.x, p.y, boxW, boxH,
			p.x+10, p.y+18, html.EscapeString(label), p.x+10, p.y+35, html.EscapeString(sub))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text is escaped
}
