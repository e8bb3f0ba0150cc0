package ui

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

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
	h.render(w, http.StatusOK, "runbook.html", runbookPage{Pipeline: name, Blocks: parseRunbook(text)})
}

var (
	headingRe = regexp.MustCompile(`^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$`)
	fenceRe   = regexp.MustCompile("^ {0,3}(```+|~~~+)")
	itemRe    = regexp.MustCompile(`^ {0,3}([-*+]|\d+[.)])[ \t]+(.*)$`)
	slugDrop  = regexp.MustCompile(`[^a-z0-9]+`)
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
		line := lines[i]
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
func slug(s string) string {
	return strings.Trim(slugDrop.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// modes are the anchors alerts link to and the words that name each mode
// in a heading, tried in order.
var modes = []struct {
	anchor string
	words  *regexp.Regexp
}{
	{"task-failed", regexp.MustCompile(`fail|error`)},
	{"timeout", regexp.MustCompile(`time ?out|timed out|too long`)},
	{"out-of-memory", regexp.MustCompile(`memory|oom`)},
	{"lost-attempt", regexp.MustCompile(`lost|crash|restart`)},
	{"sla-missed", regexp.MustCompile(`\bsla\b|deadline|late`)},
	{"stale-data", regexp.MustCompile(`stale|fresh`)},
	{"row-count", regexp.MustCompile(`\brows?\b|row count|volume`)},
	{"slow-run", regexp.MustCompile(`slow|degrad|duration`)},
	{"retries", regexp.MustCompile(`retr(y|ies)`)},
	{"dead-letters", regexp.MustCompile(`dead.letter|dlq|replay`)},
	{"scheduler-lag", regexp.MustCompile(`lag|schedul`)},
	{"rollback", regexp.MustCompile(`roll ?back|revert`)},
}

// placeAliases puts each failure-mode anchor no heading has as its own id
// on the first heading whose words name that mode.
func placeAliases(bs []block) {
	ids := map[string]bool{}
	for _, b := range bs {
		if b.ID != "" {
			ids[b.ID] = true
		}
	}
	for _, m := range modes {
		if ids[m.anchor] {
			continue
		}
		for i := range bs {
			if bs[i].ID != "" && bs[i].Kind != "h1" && m.words.MatchString(strings.ToLower(bs[i].Text)) {
				bs[i].Aliases = append(bs[i].Aliases, m.anchor)
				ids[m.anchor] = true
				break
			}
		}
	}
}
