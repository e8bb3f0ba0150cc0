package ui

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/gantryhq/gantry/internal/alert/routing"
	"github.com/gantryhq/gantry/internal/store"
)

// block is one rendered piece of a runbook.
type block struct {
	Kind    string   // h1…h6, p, ul, ol, pre
	ID      string   // a heading's anchor
	Aliases []string // failure-mode anchors placed on this heading
	Text    string   // heading, paragraph or code
	Items   []string // list items
}

type runbookPage struct {
	Pipeline string
	Blocks   []block
}

func (h *handler) runbook(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	text, err := h.src.Runbook(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, fmt.Errorf("%w: pipeline %s has no runbook here", errNotFound, name))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.page(w, r, "runbook.html", "Runbook of "+name, "home", runbookPage{Pipeline: name, Blocks: parseRunbook(text)})
}

var (
	headingRe = regexp.MustCompile(`^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$`)
	fenceRe   = regexp.MustCompile("^ {0,3}(```+|~~~+)")
	itemRe    = regexp.MustCompile(`^ {0,3}([-*+]|\d+[.)])[ \t]+(.*)$`)
	// commentRe is an HTML comment on one line: the markers of a
	// generated runbook's parts, which a reader does not need to see.
	commentRe = regexp.MustCompile(`<!--.*?-->[ \t]*`)
)

// parseRunbook reads the Markdown a runbook is written in, as far as a
// runbook needs: headings, paragraphs, lists and fenced code. Inline
// markup stays as it was written.
func parseRunbook(text string) []block {
	var out []block
	var para []string
	var list *block
	flush := func() {
		if len(para) > 0 {
			out = append(out, block{Kind: "p", Text: strings.Join(para, " ")})
			para = nil
		}
		if list != nil {
			out = append(out, *list)
			list = nil
		}
	}
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	seen := map[string]int{}
	for i := 0; i < len(lines); i++ {
		line := commentRe.ReplaceAllString(lines[i], "")
		if m := fenceRe.FindStringSubmatch(line); m != nil {
			flush()
			var code []string
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimLeft(lines[i], " "), m[1]); i++ {
				code = append(code, lines[i])
			}
			out = append(out, block{Kind: "pre", Text: strings.Join(code, "\n")})
			continue
		}
		if m := headingRe.FindStringSubmatch(line); m != nil {
			flush()
			id := slug(m[2])
			if n := seen[id]; n > 0 {
				id = fmt.Sprintf("%s-%d", id, n)
			}
			seen[slug(m[2])]++
			out = append(out, block{Kind: fmt.Sprintf("h%d", len(m[1])), ID: id, Text: m[2]})
			continue
		}
		if m := itemRe.FindStringSubmatch(line); m != nil {
			if len(para) > 0 {
				out = append(out, block{Kind: "p", Text: strings.Join(para, " ")})
				para = nil
			}
			kind := "ul"
			if m[1][0] >= '0' && m[1][0] <= '9' {
				kind = "ol"
			}
			if list == nil || list.Kind != kind {
				flush()
				list = &block{Kind: kind}
			}
			list.Items = append(list.Items, m[2])
			continue
		}
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			flush()
		case list != nil && strings.HasPrefix(line, " "):
			list.Items[len(list.Items)-1] += " " + trimmed
		default:
			if list != nil {
				flush()
			}
			para = append(para, trimmed)
		}
	}
	flush()
	placeAliases(out)
	return out
}

// slug is a heading's anchor: lower case, words joined by "-".
func slug(s string) string { return routing.Slug(s) }

// placeAliases puts each failure-mode anchor no heading has as its own id
// on the first heading whose words name that mode.
func placeAliases(bs []block) {
	ids := map[string]bool{}
	for _, b := range bs {
		if b.ID != "" {
			ids[b.ID] = true
		}
	}
	for _, m := range routing.Anchors {
		if ids[m.Anchor] {
			continue
		}
		for i := range bs {
			if bs[i].ID != "" && bs[i].Kind != "h1" && m.Names(bs[i].Text) {
				bs[i].Aliases = append(bs[i].Aliases, m.Anchor)
				ids[m.Anchor] = true
				break
			}
		}
	}
}
